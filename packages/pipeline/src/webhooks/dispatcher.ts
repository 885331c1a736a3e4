import { eq } from 'drizzle-orm';
import type { PgBoss } from 'pg-boss';
import { ERROR_TAXONOMY, ErrorCode } from '@framesmith/core';
import type { WebhookEventName } from '@framesmith/core/ops-schemas';
import { type Database, type Db, projects, renderJobs, segments } from '@framesmith/db';
import { recentFailureCounts } from '@framesmith/db/queries/analytics';
import { assetUrl } from '@framesmith/db/serialize';
import {
  deliveryIdFor,
  insertDelivery,
  latestDeliveryFor,
  webhooksForEvent,
  withAdvisoryLock,
} from '@framesmith/db/queries/webhooks';
import { enqueueDelivery } from './delivery-worker.ts';
import {
  type BackendChangedData,
  codeTitle,
  envelope,
  type RenderFinishedData,
  type SegmentFailedData,
  type WebhookEventDataMap,
} from './payload.ts';

/**
 * Turns what happens in the system into webhook deliveries: one pending row per subscribed
 * webhook, then a job on the delivery queue. Every process may see the same event (NOTIFY reaches
 * all listeners, each pool watches every backend), so each event has a key that makes its delivery
 * id deterministic, and state announcements (backend up/down, persistent errors) are decided under
 * an advisory lock against what was last announced. Nothing here can fail a render: callers get
 * errors only through `onError`.
 */

export interface PersistentErrorRule {
  /** How many failures of one code... */
  threshold: number;
  /** ...within how many minutes make it persistent. */
  windowMinutes: number;
}

export const DEFAULT_PERSISTENT_RULE: PersistentErrorRule = { threshold: 5, windowMinutes: 10 };

export interface WebhookDispatcherOptions {
  database: Database;
  boss: PgBoss;
  persistent?: PersistentErrorRule;
  onError?: (err: unknown, context: string) => void;
}

export interface WebhookDispatcher {
  /** Creates and queues deliveries of one event; returns how many were new. */
  emit<E extends WebhookEventName>(type: E, data: WebhookEventDataMap[E], key: string): Promise<number>;
  /** A segment reached `failed` (its final failure, after automatic retries). */
  segmentFailed(segmentId: string): Promise<number>;
  /** A render job reached `completed` or `failed`. */
  renderFinished(renderJobId: string): Promise<number>;
  /** A backend's health changed; announced only when it differs from the last announcement. */
  backendChanged(change: {
    backend: string;
    healthy: boolean;
    status: string;
    lastError?: string | null;
  }): Promise<number>;
  /** Looks for error codes over the persistent threshold and announces each once per window. */
  checkPersistentErrors(now?: Date): Promise<number>;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db } = options.database;
  const rule = options.persistent ?? DEFAULT_PERSISTENT_RULE;

  async function emit<E extends WebhookEventName>(
    type: E,
    data: WebhookEventDataMap[E],
    key: string,
    announce?: { subject: string; shouldSend: (tx: Db, webhookId: string) => Promise<boolean> },
  ): Promise<number> {
    const targets = await webhooksForEvent(db, type);
    let created = 0;
    for (const webhook of targets) {
      const id = deliveryIdFor(webhook.id, key);
      const insert = async (tx: Db) => {
        if (announce && !(await announce.shouldSend(tx, webhook.id))) return undefined;
        return insertDelivery(tx, { id, webhookId: webhook.id, event: type, payload: envelope(type, data) });
      };
      // Announcements about one subject are decided one process at a time.
      const row = announce
        ? await withAdvisoryLock(db, `webhook:${webhook.id}:${announce.subject}`, insert)
        : await insert(db);
      if (!row) continue;
      created++;
      await enqueueDelivery(options.boss, row.id);
    }
    return created;
  }

  async function segmentFailed(segmentId: string): Promise<number> {
    const [s] = await db.select().from(segments).where(eq(segments.id, segmentId));
    if (s?.status !== 'failed') return 0;
    const code = ErrorCode.safeParse(s.errorCode);
    const data: SegmentFailedData = {
      segmentId: s.id,
      projectId: s.projectId,
      renderJobId: s.renderJobId,
      position: s.position,
      attempt: s.attempt,
      code: s.errorCode ?? 'INTERNAL_ERROR',
      title: code.success ? ERROR_TAXONOMY[code.data].title : 'Generation failed',
      message: s.errorMessage ?? (code.success ? ERROR_TAXONOMY[code.data].message : ''),
      retryable: s.retryable ?? false,
      backend: s.backend,
    };
    return emit(
      'segment.failed',
      data,
      `segment.failed:${s.id}:${s.attempt}:${s.errorAt?.toISOString() ?? ''}`,
    );
  }

  async function renderFinished(renderJobId: string): Promise<number> {
    const [r] = await db
      .select({ job: renderJobs, projectName: projects.name })
      .from(renderJobs)
      .leftJoin(projects, eq(projects.id, renderJobs.projectId))
      .where(eq(renderJobs.id, renderJobId));
    if (!r) return 0;
    const job = r.job;
    const status = job.status;
    if (status !== 'completed' && status !== 'failed') return 0;
    const start = job.startedAt ?? job.createdAt;
    const data: RenderFinishedData = {
      renderJobId: job.id,
      projectId: job.projectId,
      projectName: r.projectName,
      status,
      segments: job.segmentIds.length,
      durationMs: job.finishedAt ? job.finishedAt.getTime() - start.getTime() : null,
      outputPath: status === 'completed' && job.outputAssetId ? assetUrl(job.outputAssetId) : null,
      code: job.errorCode,
      message: job.errorMessage,
    };
    const type = status === 'completed' ? 'render.completed' : 'render.failed';
    return emit(type, data, `${type}:${job.id}`);
  }

  async function backendChanged(change: {
    backend: string;
    healthy: boolean;
    status: string;
    lastError?: string | null;
  }): Promise<number> {
    const type = change.healthy ? 'backend.up' : 'backend.down';
    const data: BackendChangedData = {
      backend: change.backend,
      status: change.status,
      lastError: change.lastError ?? null,
    };
    const events = ['backend.down', 'backend.up'];
    // Announce a change of state only: down when the last word was not down, up only after a down.
    const shouldSend = async (tx: Db, webhookId: string) => {
      const last = await latestDeliveryFor(tx, webhookId, events, 'backend', change.backend);
      return change.healthy ? last?.event === 'backend.down' : last?.event !== 'backend.down';
    };
    return emit(type, data, `${type}:${change.backend}:${Date.now()}`, {
      subject: `backend:${change.backend}`,
      shouldSend,
    });
  }

  async function checkPersistentErrors(now: Date = new Date()): Promise<number> {
    const counts = await recentFailureCounts(db, rule.windowMinutes, now);
    let created = 0;
    for (const c of counts) {
      if (c.count < rule.threshold) continue;
      const windowStart = now.getTime() - rule.windowMinutes * 60_000;
      const shouldSend = async (tx: Db, webhookId: string) => {
        const last = await latestDeliveryFor(tx, webhookId, ['error.persistent'], 'code', c.code);
        return !last || last.createdAt.getTime() < windowStart;
      };
      created += await emit(
        'error.persistent',
        {
          code: c.code,
          title: codeTitle(c.code),
          count: c.count,
          threshold: rule.threshold,
          windowMinutes: rule.windowMinutes,
          lastAt: c.lastAt,
        },
        `error.persistent:${c.code}:${Math.floor(now.getTime() / 60_000)}`,
        { subject: `error.persistent:${c.code}`, shouldSend },
      );
    }
    return created;
  }

  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => Promise<number>) =>
    async (...args: A): Promise<number> => {
      try {
        return await fn(...args);
      } catch (err) {
        options.onError?.(err, name);
        return 0;
      }
    };

  return {
    emit: guard('emit', emit) as WebhookDispatcher['emit'],
    segmentFailed: guard('segmentFailed', segmentFailed),
    renderFinished: guard('renderFinished', renderFinished),
    backendChanged: guard('backendChanged', backendChanged),
    checkPersistentErrors: guard('checkPersistentErrors', checkPersistentErrors),
  };
}
