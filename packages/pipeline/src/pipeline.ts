import { startSpawnHost } from '@framesmith/media';
import type { Config } from '@framesmith/core';
import { BackendPool } from '@framesmith/comfyui';
import { type Database, findSegmentRow } from '@framesmith/db';
import { createCompositionHandler } from './composition-worker.ts';
import type { PipelineContext } from './context.ts';
import { EventHub } from './events.ts';
import type { JobName } from './job-names.ts';
import { checkHandlers } from './job-registry.ts';
import { type Logger, silentLogger } from './logger.ts';
import { JobQueue, type QueueTuning } from './queue.ts';
import { type Reaper, startReaper } from './reaper.ts';
import { RenderService } from './render-service.ts';
import { retryPolicyFrom } from './retry-decision.ts';
import { createSegmentWorker, type SegmentWorker } from './segment-worker.ts';
import { LocalStorage, type Storage } from './storage.ts';

/**
 * Starts the pipeline in a process. Role `api` only produces (render, retry, cancel) and
 * streams events; `worker` also takes segment and composition jobs and runs the reaper; `all`
 * (embedded `start`) does both. The bin owns the backend pool and the database.
 */
export interface PipelineOptions {
  database: Database;
  config: Config;
  /** `embedded` is the same as `all` (the bin's name for it). */
  role?: 'all' | 'embedded' | 'api' | 'worker';
  /** The ComfyUI backends; by default a pool of config.COMFYUI_URL, started here and stopped on stop(). */
  pool?: BackendPool;
  /** Defaults to a local directory at config.storageDir. */
  storage?: Storage;
  logger?: Logger;
  tuning?: Partial<QueueTuning>;
  /** Jobs taken at once in this process, per queue (segments default to WORKER_CONCURRENCY). */
  concurrency?: Partial<Record<JobName, number>>;
  reaper?: { intervalMs?: number; graceMs?: number };
  /** Jitter source for retry delays (tests pin it). */
  random?: () => number;
  instanceName?: string;
}

export interface Pipeline {
  service: RenderService;
  events: EventHub;
  queue: JobQueue;
  storage: Storage;
  /** Present in worker roles. */
  reaper: Reaper | null;
  segmentWorker: SegmentWorker | null;
  pool: BackendPool | null;
  /** What the API app gets (buildApp deps): the pipeline itself, its storage and the backend pool. */
  deps: { pipeline: Pipeline; storage: Storage; pool?: BackendPool };
  /** Stops taking jobs (waiting for running ones when graceful), the reaper and the event listener. */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const role = options.role === 'embedded' ? 'all' : (options.role ?? 'all');
  // Workers start ffprobe for every clip and ffmpeg for every video: from a helper process, so
  // that this one does not stall while it forks (spawner.ts). Started now, ready by the first.
  if (role !== 'api') startSpawnHost();
  const logger = options.logger ?? silentLogger;
  const storage = options.storage ?? new LocalStorage(options.config.storageDir);
  const queue = await JobQueue.start(options.database, {
    tuning: {
      // A job may wait for a backend, then generate for up to the generation timeout.
      expireInSeconds: Math.max(3600, Math.ceil(options.config.COMFYUI_GENERATION_TIMEOUT_MS / 1000) + 1800),
      ...options.tuning,
    },
    logger,
    instanceName: options.instanceName ?? `framesmith-${role}`,
  });
  const ctx: PipelineContext = {
    database: options.database,
    config: options.config,
    queue,
    storage,
    logger,
    policy: retryPolicyFrom(options.config),
    random: options.random ?? Math.random,
  };
  const events = await EventHub.start(options.database, logger);
  const service = new RenderService(ctx);
  let reaper: Reaper | null = null;
  let segmentWorker: SegmentWorker | null = null;
  let unsubscribe: (() => void) | null = null;

  let pool = options.pool ?? null;
  const ownPool = !pool && role !== 'api';
  if (ownPool) {
    pool = new BackendPool({
      backends: options.config.COMFYUI_URL.map((url, i) => ({ name: `comfyui-${i + 1}`, url })),
      requestTimeoutMs: options.config.COMFYUI_REQUEST_TIMEOUT_MS,
      retryBaseDelayMs: options.config.RETRY_BASE_DELAY_MS,
      healthCheckTimeoutMs: options.config.HEALTH_CHECK_TIMEOUT_MS,
      healthCheckIntervalMs: options.config.HEALTH_CHECK_INTERVAL_MS,
      logger,
    });
    pool.start();
  }

  if (role !== 'api') {
    const worker = createSegmentWorker(ctx, { pool: pool! });
    segmentWorker = worker;
    const handlers = checkHandlers({
      'segment-generate': worker.handler,
      'render-compose': createCompositionHandler(ctx),
    });
    // A cancel made in any process reaches the worker running the segment through the events.
    const stopEvents = events.subscribe(null, (e) => {
      if (e.event === 'segment' && e.data.status === 'cancelled') worker.cancel(e.data.id);
    });
    // Cancels announced while the notification connection was lost were missed: look again.
    const stopResets = events.onReset(() => {
      void (async () => {
        for (const id of worker.running()) {
          const row = await findSegmentRow(options.database.db, id);
          if (row?.status === 'cancelled') worker.cancel(id);
        }
      })().catch((err: unknown) => logger.warn({ err }, 'could not recheck running segments'));
    });
    unsubscribe = () => {
      stopEvents();
      stopResets();
    };
    await queue.work(handlers, {
      'segment-generate': options.concurrency?.['segment-generate'] ?? options.config.WORKER_CONCURRENCY,
      'render-compose': options.concurrency?.['render-compose'] ?? 1,
    });
    reaper = startReaper(ctx, {
      intervalMs: options.reaper?.intervalMs ?? 15_000,
      graceMs: options.reaper?.graceMs ?? 30_000,
      isRunningHere: (id) => worker.running().includes(id),
    });
    void reaper.sweep().catch((err: unknown) => logger.warn({ err }, 'reaper sweep failed'));
    logger.info({ role, concurrency: options.config.WORKER_CONCURRENCY }, 'pipeline worker started');
  }

  let stopping: Promise<void> | null = null;
  const pipeline: Pipeline = {
    service,
    events,
    queue,
    storage,
    reaper,
    segmentWorker,
    pool,
    deps: undefined as unknown as Pipeline['deps'],
    stop(stopOptions = {}) {
      stopping ??= (async () => {
        reaper?.stop();
        unsubscribe?.();
        // Running generations get a few seconds; any left are resumed elsewhere once their heartbeat lapses.
        await queue.stop({
          graceful: stopOptions.graceful ?? true,
          timeoutMs: stopOptions.timeoutMs ?? 8000,
        });
        await segmentWorker?.settle();
        await events.stop();
        if (ownPool) pool?.stop();
      })();
      return stopping;
    },
  };
  pipeline.deps = { pipeline, storage, ...(pool ? { pool } : {}) };
  return pipeline;
}
