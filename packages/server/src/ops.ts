import type { EventEmitter } from 'node:events';
import type { PgBoss } from 'pg-boss';
import { BackendPool } from '@framesmith/comfyui';
import type { Config } from '@framesmith/core';
import type { Database } from '@framesmith/db';
import {
  createWebhookQueue,
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
  enqueueDelivery,
  startWebhookWorker,
  type WebhookWorker,
} from '@framesmith/pipeline/webhooks/delivery-worker';
import {
  createWebhookDispatcher,
  type PersistentErrorRule,
  type WebhookDispatcher,
} from '@framesmith/pipeline/webhooks/dispatcher';
import { type BackendRegistry, createBackendRegistry, type ManagedPool } from './backend-registry.ts';
import { type BackendPoolLike, backendViews, type PoolBackendSnapshot } from './backend-view.ts';
import type { RoutePlugin } from './deps.ts';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.ts';
import { requestIdHeader } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { backendRoutes } from './routes/backends.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { webhookRoutes } from './routes/webhooks.ts';

/**
 * Operations in one call for the bin: health, metrics, error analytics, webhooks and run-time
 * backends. The api side gets route plugins and background health checks; the worker side
 * delivers webhooks from their own queue and turns segment, render and backend changes into
 * deliveries. Nothing here is on a render's path: a failure in it is logged and goes no further.
 */

interface OpsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The pool as ops uses it: the comfyui BackendPool fits. */
export interface OpsPool extends ManagedPool, BackendPoolLike, Pick<EventEmitter, 'on' | 'off'> {
  snapshot(): readonly (PoolBackendSnapshot & { url: string })[];
  checkNow(name?: string): Promise<unknown>;
}

/** Live events as the pipeline's EventHub gives them (only the fields read here). */
export interface OpsEventSource {
  subscribe(
    projectId: string | null,
    listener: (e: { event: string; data: { id: string; status: string } }) => void,
  ): () => void;
}

export interface OpsOptions {
  database: Database;
  config: Config;
  /** 'all' (embedded start), 'api' or 'worker'. */
  role: 'all' | 'api' | 'worker';
  logger?: OpsLogger;
  /**
   * This process's ComfyUI pool; its backends at start are taken as the COMFYUI_URL ones. In the
   * api role without one, ops starts its own pool of COMFYUI_URL for health.
   */
  pool?: OpsPool;
  /** The pipeline's pg-boss instance (webhook deliveries get their own queue on it). */
  boss?: PgBoss;
  /** The pipeline's live events (segment and render changes trigger webhooks). */
  events?: OpsEventSource;
  simulated?: boolean;
  webhookPolicy?: Partial<DeliveryPolicy>;
  persistentErrors?: PersistentErrorRule;
  /** How often error.persistent is looked for (default 60 s). */
  persistentCheckMs?: number;
}

export interface Ops {
  /** Route plugins for buildApp (empty in the worker role). */
  routes: RoutePlugin[];
  health: HealthMonitor | null;
  metrics: Metrics | null;
  registry: BackendRegistry | null;
  dispatcher: WebhookDispatcher | null;
  stop(): Promise<void>;
}

const silent: OpsLogger = { info() {}, warn() {}, debug() {}, error() {} };

/** The parts of a running pipeline (`startPipeline`'s result) that ops plugs into. */
export interface OpsPipelineParts {
  pool?: OpsPool | null;
  queue?: { boss: PgBoss };
  events?: OpsEventSource;
}

/** `startOps` options from a running pipeline: its pool, its pg-boss and its live events. */
export function opsFromPipeline(
  pipeline: OpsPipelineParts | null | undefined,
): Pick<OpsOptions, 'pool' | 'boss' | 'events'> {
  if (!pipeline) return {};
  return {
    ...(pipeline.pool ? { pool: pipeline.pool } : {}),
    ...(pipeline.queue ? { boss: pipeline.queue.boss } : {}),
    ...(pipeline.events ? { events: pipeline.events } : {}),
  };
}

export async function startOps(options: OpsOptions): Promise<Ops> {
  const log = options.logger ?? silent;
  const { database, config } = options;
  const serves = options.role !== 'worker';
  const works = options.role !== 'api';
  const stoppers: (() => Promise<void> | void)[] = [];

  // An api-only process has no worker pool; it keeps one of its own so health, metrics and
  // /api/backends can report the backends. Named as the pipeline names COMFYUI_URL servers.
  let pool = options.pool;
  if (!pool && serves && options.role === 'api') {
    const own = new BackendPool({
      backends: config.COMFYUI_URL.map((url, i) => ({ name: `comfyui-${i + 1}`, url })),
      requestTimeoutMs: config.COMFYUI_REQUEST_TIMEOUT_MS,
      retryBaseDelayMs: config.RETRY_BASE_DELAY_MS,
      healthCheckTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
      healthCheckIntervalMs: config.HEALTH_CHECK_INTERVAL_MS,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    own.start();
    stoppers.push(() => own.stop());
    pool = own;
  }

  let registry: BackendRegistry | null = null;
  if (pool) {
    registry = createBackendRegistry({
      database,
      pool,
      envBackends: pool.snapshot().map((b) => ({ name: b.name, url: b.url })),
      onError: (err) => log.warn({ err }, 'could not apply backend changes'),
    });
    await registry.start();
    stoppers.push(() => registry?.stop());
  }

  let health: HealthMonitor | null = null;
  let metrics: Metrics | null = null;
  const routes: RoutePlugin[] = [];
  if (serves) {
    health = createHealthMonitor({
      database,
      config,
      ...(pool ? { pool } : {}),
      ...(options.simulated ? { simulated: true } : {}),
    });
    health.start();
    stoppers.push(() => health?.stop());
    metrics = createMetrics({ database, ...(pool ? { backends: () => backendViews(pool) } : {}) });
    if (pool) {
      const m = metrics;
      const seen = new Map<string, string | null>();
      const onCheck = (s: PoolBackendSnapshot) => {
        const at = s.lastCheckedAt === undefined || s.lastCheckedAt === null ? null : String(s.lastCheckedAt);
        if (at === null || seen.get(s.name) === at) return;
        seen.set(s.name, at);
        if (typeof s.latencyMs === 'number') m.observeHealthCheck(s.name, s.latencyMs / 1000);
      };
      pool.on('change', onCheck);
      stoppers.push(() => void pool.off('change', onCheck));
    }
    const boss = options.boss;
    routes.push(
      requestIdHeader() as unknown as RoutePlugin,
      healthRoutes(health),
      metricsRoutes(metrics),
      analyticsRoutes(),
      webhookRoutes(boss ? { enqueueDelivery: (id) => enqueueDelivery(boss, id, true) } : {}),
    );
    if (pool && registry) routes.push(backendRoutes(registry, pool));
  }

  let dispatcher: WebhookDispatcher | null = null;
  if (works && options.boss) {
    const boss = options.boss;
    const policy = { ...DEFAULT_DELIVERY_POLICY, ...options.webhookPolicy };
    await createWebhookQueue(boss, policy);
    const worker: WebhookWorker = await startWebhookWorker({ boss, database, policy, logger: log });
    stoppers.push(() => worker.stop());
    const d = createWebhookDispatcher({
      database,
      boss,
      ...(options.persistentErrors ? { persistent: options.persistentErrors } : {}),
      onError: (err, context) => log.warn({ err, context }, 'webhook dispatch failed'),
    });
    dispatcher = d;

    let persistentSoon: NodeJS.Timeout | undefined;
    const checkPersistentSoon = () => {
      persistentSoon ??= setTimeout(() => {
        persistentSoon = undefined;
        void d.checkPersistentErrors();
      }, 1000);
    };
    const persistentTimer = setInterval(
      () => void d.checkPersistentErrors(),
      options.persistentCheckMs ?? 60_000,
    );
    persistentTimer.unref();
    stoppers.push(() => {
      clearInterval(persistentTimer);
      clearTimeout(persistentSoon);
    });

    if (options.events) {
      const unsubscribe = options.events.subscribe(null, (e) => {
        if (e.event === 'segment' && e.data.status === 'failed') {
          void d.segmentFailed(e.data.id);
          checkPersistentSoon();
        } else if (
          e.event === 'render-job' &&
          (e.data.status === 'completed' || e.data.status === 'failed')
        ) {
          void d.renderFinished(e.data.id);
        }
      });
      stoppers.push(unsubscribe);
    }

    if (pool) {
      // Announce a backend going down or coming back (enabled ones; the first result counts).
      const healthy = new Map<string, boolean>();
      const onChange = (s: PoolBackendSnapshot) => {
        if (s.status === 'unknown' || s.enabled === false) return;
        const up = s.status === 'healthy';
        if (healthy.get(s.name) === up) return;
        healthy.set(s.name, up);
        const lastError = typeof s.lastError === 'string' ? s.lastError : (s.lastError?.message ?? null);
        void d.backendChanged({ backend: s.name, healthy: up, status: s.status, lastError });
      };
      pool.on('change', onChange);
      stoppers.push(() => void pool.off('change', onChange));
    }
  }

  return {
    routes,
    health,
    metrics,
    registry,
    dispatcher,
    async stop() {
      for (const stop of stoppers.splice(0).reverse()) {
        try {
          await stop();
        } catch (err) {
          log.warn({ err }, 'ops stop step failed');
        }
      }
    },
  };
}
