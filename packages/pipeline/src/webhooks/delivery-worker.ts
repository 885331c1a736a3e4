import type { Job, PgBoss } from 'pg-boss';
import type { Database } from '@framesmith/db';
import {
  type DeliveryRow,
  failPendingDelivery,
  getDelivery,
  recordDeliveryAttempt,
  stalePendingDeliveries,
} from '@framesmith/db/queries/webhooks';
import { renderBody, type WebhookEnvelope } from './payload.ts';
import { webhookHeaders } from './signature.ts';

/**
 * Webhook deliveries run on their own pg-boss queue, apart from segment and render jobs, so a slow
 * or failing receiver can never hold up or fail a render. Each job is one HTTP try of one delivery
 * row; a non-2xx answer or a network error throws so pg-boss retries with exponential backoff, and
 * the last try marks the row failed. The job id is the delivery id, so sending twice is a no-op.
 */

export const WEBHOOK_QUEUE = 'webhook-delivery';

export interface DeliveryPolicy {
  /** Retries after the first try. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  retryDelayMaxSeconds: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** How often the worker polls for jobs. */
  pollingIntervalSeconds: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  retryLimit: 6,
  retryDelaySeconds: 10,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  timeoutMs: 10_000,
  pollingIntervalSeconds: 2,
};

interface DeliveryJob {
  deliveryId: string;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
const silent: Logger = { info() {}, warn() {}, debug() {} };

/** Creates the delivery queue, or brings an existing one to this policy. */
export async function createWebhookQueue(boss: PgBoss, policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY) {
  const options = {
    retryLimit: policy.retryLimit,
    retryDelay: policy.retryDelaySeconds,
    retryBackoff: policy.retryBackoff,
    expireInSeconds: Math.ceil(policy.timeoutMs / 1000) + 60,
    // Wakes the worker as soon as a delivery is queued (the pipeline's pg-boss listens).
    notify: true,
  };
  if (await boss.getQueue(WEBHOOK_QUEUE)) await boss.updateQueue(WEBHOOK_QUEUE, options);
  else {
    await boss.createQueue(WEBHOOK_QUEUE, {
      ...options,
      ...(policy.retryBackoff ? { retryDelayMax: policy.retryDelayMaxSeconds } : {}),
    });
  }
}

/**
 * Queues one sequence of HTTP tries for a delivery row. Idempotent: the job id is the delivery id.
 * `again` (a manual redelivery of a finished row) uses a new job id, since the first job is kept.
 */
export async function enqueueDelivery(boss: PgBoss, deliveryId: string, again = false): Promise<void> {
  await boss.send(WEBHOOK_QUEUE, { deliveryId } satisfies DeliveryJob, again ? {} : { id: deliveryId });
}

export type DeliveryOutcome =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string; permanent: boolean };

/** Describes a failed request in a few words for the deliveries list (no stack, no body). */
function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code && /CERT|SSL|TLS/.test(code)) return 'TLS error';
  return 'request failed';
}

/** One signed HTTP POST of a delivery. Never throws. */
export async function sendDelivery(
  delivery: DeliveryRow,
  webhook: { url: string; secret: string; format: string },
  options: { timeoutMs: number; fetch?: typeof fetch; now?: Date },
): Promise<DeliveryOutcome> {
  const body = renderBody(delivery.payload as WebhookEnvelope, webhook.format);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Framesmith-Webhooks/1',
    ...webhookHeaders(webhook.secret, `msg_${delivery.id}`, body, options.now),
  };
  try {
    const res = await (options.fetch ?? fetch)(webhook.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Read (and drop) the body so the connection is released.
    await res.arrayBuffer().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status };
    // 410 Gone: the receiver says this endpoint is no more (Standard Webhooks): stop retrying.
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}`, permanent: res.status === 410 };
  } catch (err) {
    return {
      ok: false,
      statusCode: null,
      error: describeFetchError(err, options.timeoutMs),
      permanent: false,
    };
  }
}

export interface WebhookWorkerOptions {
  boss: PgBoss;
  database: Database;
  policy?: Partial<DeliveryPolicy>;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Re-queue pending deliveries older than this (their job may never have been created). Default 60 s. */
  sweepAfterMs?: number;
}

export interface WebhookWorker {
  stop(): Promise<void>;
}

/** Works the delivery queue (the queue must exist: createWebhookQueue). */
export async function startWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
  const log = options.logger ?? silent;
  const { db } = options.database;

  const handle = async (job: Job<DeliveryJob>) => {
    const found = await getDelivery(db, job.data.deliveryId);
    if (found?.delivery.status !== 'pending') return;
    const { delivery, webhook } = found;
    const ctx = {
      deliveryId: delivery.id,
      webhookId: webhook.id,
      event: delivery.event,
      try: job.retryCount + 1,
    };
    if (!webhook.enabled) {
      await failPendingDelivery(db, delivery.id, 'webhook disabled');
      return;
    }
    const outcome = await sendDelivery(delivery, webhook, {
      timeoutMs: policy.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    if (outcome.ok) {
      await recordDeliveryAttempt(db, delivery.id, {
        status: 'delivered',
        statusCode: outcome.statusCode,
        error: null,
      });
      log.info({ ...ctx, statusCode: outcome.statusCode }, 'webhook delivered');
      return;
    }
    const last = outcome.permanent || job.retryCount >= policy.retryLimit;
    await recordDeliveryAttempt(db, delivery.id, {
      status: last ? 'failed' : 'pending',
      statusCode: outcome.statusCode,
      error: outcome.error,
    });
    if (last) {
      log.warn({ ...ctx, statusCode: outcome.statusCode, error: outcome.error }, 'webhook delivery gave up');
      return;
    }
    log.debug(
      { ...ctx, statusCode: outcome.statusCode, error: outcome.error },
      'webhook delivery will be retried',
    );
    throw new Error(`webhook delivery failed: ${outcome.error}`);
  };

  const workId = await options.boss.work<DeliveryJob>(
    WEBHOOK_QUEUE,
    {
      batchSize: 1,
      localConcurrency: 2,
      pollingIntervalSeconds: policy.pollingIntervalSeconds,
      // New deliveries wake the worker by NOTIFY; retries come due without one, so poll as often.
      notifyPollingIntervalSeconds: policy.pollingIntervalSeconds,
    },
    async (jobs) => {
      for (const job of jobs) await handle(job);
    },
  );

  const sweepAfterMs = options.sweepAfterMs ?? 60_000;
  const sweeper = setInterval(() => {
    void (async () => {
      const stale = await stalePendingDeliveries(db, new Date(Date.now() - sweepAfterMs));
      for (const d of stale) await enqueueDelivery(options.boss, d.id);
    })().catch(() => {});
  }, sweepAfterMs);
  sweeper.unref();

  return {
    async stop() {
      clearInterval(sweeper);
      await options.boss.offWork(WEBHOOK_QUEUE, { id: workId, wait: true }).catch(() => {});
    },
  };
}
