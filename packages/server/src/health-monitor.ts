import { execFile } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '@framesmith/core';
import type {
  ComfyHealth,
  ComponentHealth,
  ComponentStatus,
  ReadyHealth,
  SystemHealth,
} from '@framesmith/core/ops-schemas';
import { MIGRATIONS_DIR, type Database } from '@framesmith/db';
import { queueStats } from '@framesmith/db/queries/analytics';
import { WEBHOOK_QUEUE } from '@framesmith/pipeline/webhooks/delivery-worker';
import {
  type BackendPoolLike,
  type BackendView,
  backendViews,
  type PoolBackendSnapshot,
  toBackendView,
} from './backend-view.ts';

/**
 * Health of every component, checked in the background on an interval (and on demand), so the
 * endpoints answer from the latest results at once even while a backend or the database hangs.
 * Each check is bounded by HEALTH_CHECK_TIMEOUT_MS. ComfyUI backends are checked by the pool
 * itself; this reads its snapshot.
 */

export interface HealthMonitorOptions {
  database: Database;
  config: Pick<Config, 'HEALTH_CHECK_TIMEOUT_MS' | 'HEALTH_CHECK_INTERVAL_MS' | 'storageDir'>;
  pool?: BackendPoolLike;
  /** True when the simulator stands in for GPU servers (shown, not judged). */
  simulated?: boolean;
  queueSchema?: string;
  ffmpegPath?: string;
  /** Free space below which storage is degraded / unhealthy (defaults 1 GiB / 100 MiB). */
  storageDegradedBytes?: number;
  storageUnhealthyBytes?: number;
  /** A waiting job older than this makes the queue degraded (default 10 minutes). */
  queueBacklogSeconds?: number;
  /** ffmpeg is looked at once every this many intervals (it rarely changes). Default 30. */
  ffmpegEveryIntervals?: number;
}

export interface HealthMonitor {
  start(): void;
  stop(): void;
  /** Runs every check now (each bounded by the timeout) and returns the fresh result. */
  checkNow(options?: { comfyui?: boolean }): Promise<SystemHealth>;
  /** The latest results; never waits. */
  system(): SystemHealth;
  comfy(): ComfyHealth;
  ready(): Promise<ReadyHealth>;
  /**
   * Calls `listener` with a backend's public view (name, never its URL) on every health or
   * breaker change the pool reports. Returns the unsubscribe function.
   */
  onBackendChange(listener: (backend: BackendView) => void): () => void;
}

const RANK: Record<ComponentStatus, number> = { healthy: 0, degraded: 1, unavailable: 1, unhealthy: 2 };

class CheckTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimeout(`no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A message safe to show: our own text for timeouts, a generic one otherwise (details go to logs). */
function failureMessage(err: unknown, what: string): string {
  return err instanceof CheckTimeout ? `${what} did not answer in time` : `${what} check failed`;
}

export function comfyStatus(backends: readonly BackendView[]): ComponentStatus {
  const enabled = backends.filter((b) => b.enabled);
  if (enabled.length === 0) return 'unavailable';
  const healthy = enabled.filter((b) => b.status === 'healthy').length;
  if (healthy === enabled.length) return 'healthy';
  return healthy > 0 ? 'degraded' : 'unhealthy';
}

function migrationsExpected(): number {
  const journal = join(MIGRATIONS_DIR, 'meta', '_journal.json');
  const parsed = JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] };
  return parsed.entries.length;
}

/** statfs of the storage directory, or of its nearest existing parent before it is created. */
async function freeBytes(dir: string): Promise<{ free: number; total: number }> {
  let at = resolve(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const s = await statfs(at);
  return { free: Number(s.bavail) * Number(s.bsize), total: Number(s.blocks) * Number(s.bsize) };
}

function ffmpegVersion(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(path, ['-version'], { timeout: timeoutMs }, (err, stdout) => {
      if (err) return reject(err);
      const m = /ffmpeg version (\S+)/.exec(stdout);
      resolvePromise(m?.[1] ?? 'unknown');
    });
  });
}

const unchecked = (): ComponentHealth => ({
  status: 'unavailable',
  message: 'not checked yet',
  checkedAt: null,
});

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const timeoutMs = options.config.HEALTH_CHECK_TIMEOUT_MS;
  const degradedBytes = options.storageDegradedBytes ?? 1024 ** 3;
  const unhealthyBytes = options.storageUnhealthyBytes ?? 100 * 1024 ** 2;
  const backlogSeconds = options.queueBacklogSeconds ?? 600;
  const ffmpegEvery = options.ffmpegEveryIntervals ?? 30;
  const state = {
    database: unchecked(),
    queue: unchecked(),
    storage: unchecked(),
    ffmpeg: unchecked(),
    checkedAt: null as string | null,
  };
  let timer: NodeJS.Timeout | undefined;
  let round = 0;
  let running: Promise<void> | undefined;

  async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; latencyMs: number }> {
    const t0 = performance.now();
    const value = await withTimeout(fn(), timeoutMs);
    return { value, latencyMs: Math.round((performance.now() - t0) * 10) / 10 };
  }

  async function checkDatabase(): Promise<ComponentHealth> {
    const at = new Date().toISOString();
    try {
      const { latencyMs } = await timed(() => options.database.db.execute(sql`select 1`));
      return { status: 'healthy', latencyMs, checkedAt: at, details: { kind: options.database.kind } };
    } catch (err) {
      return {
        status: 'unhealthy',
        message: failureMessage(err, 'The database'),
        latencyMs: null,
        checkedAt: at,
      };
    }
  }

  async function checkQueue(): Promise<ComponentHealth> {
    const at = new Date().toISOString();
    try {
      const { value: q, latencyMs } = await timed(() =>
        queueStats(options.database.db, options.queueSchema, { excludeFromTotals: [WEBHOOK_QUEUE] }),
      );
      if (!q)
        return { status: 'unavailable', message: 'The job queue has not been started yet', checkedAt: at };
      const backlog = (q.oldestJobAgeSeconds ?? 0) > backlogSeconds;
      return {
        status: backlog ? 'degraded' : 'healthy',
        ...(backlog
          ? { message: `The oldest waiting job has waited over ${Math.round(backlogSeconds / 60)} minutes` }
          : {}),
        latencyMs,
        checkedAt: at,
        details: {
          depth: q.depth,
          active: q.active,
          oldestJobAgeSeconds: q.oldestJobAgeSeconds === null ? null : Math.round(q.oldestJobAgeSeconds),
          deadLetter: q.deadLetter,
          failed: q.failed,
        },
      };
    } catch (err) {
      return {
        status: 'unhealthy',
        message: failureMessage(err, 'The job queue'),
        latencyMs: null,
        checkedAt: at,
      };
    }
  }

  async function checkStorage(): Promise<ComponentHealth> {
    const at = new Date().toISOString();
    try {
      const { value, latencyMs } = await timed(() => freeBytes(options.config.storageDir));
      const status: ComponentStatus =
        value.free < unhealthyBytes ? 'unhealthy' : value.free < degradedBytes ? 'degraded' : 'healthy';
      return {
        status,
        ...(status !== 'healthy' ? { message: 'Storage is running out of free space' } : {}),
        latencyMs,
        checkedAt: at,
        details: { freeBytes: value.free, totalBytes: value.total },
      };
    } catch (err) {
      return { status: 'unhealthy', message: failureMessage(err, 'Storage'), latencyMs: null, checkedAt: at };
    }
  }

  async function checkFfmpeg(): Promise<ComponentHealth> {
    const at = new Date().toISOString();
    try {
      const { value, latencyMs } = await timed(() =>
        ffmpegVersion(options.ffmpegPath ?? 'ffmpeg', timeoutMs),
      );
      return { status: 'healthy', latencyMs, checkedAt: at, details: { version: value } };
    } catch (err) {
      return {
        status: 'unhealthy',
        message:
          err instanceof CheckTimeout
            ? 'ffmpeg did not answer in time'
            : 'ffmpeg is not installed or cannot run',
        latencyMs: null,
        checkedAt: at,
      };
    }
  }

  async function runChecks(withFfmpeg: boolean): Promise<void> {
    const [database, queue, storage, ffmpeg] = await Promise.all([
      checkDatabase(),
      checkQueue(),
      checkStorage(),
      withFfmpeg ? checkFfmpeg() : Promise.resolve(state.ffmpeg),
    ]);
    Object.assign(state, { database, queue, storage, ffmpeg, checkedAt: new Date().toISOString() });
  }

  /** One round at a time: a tick that comes while a round runs joins it. */
  function round_(): Promise<void> {
    running ??= runChecks(round++ % ffmpegEvery === 0 || state.ffmpeg.checkedAt === null).finally(() => {
      running = undefined;
    });
    return running;
  }

  function comfy(): ComfyHealth {
    const backends = backendViews(options.pool);
    return { status: comfyStatus(backends), ...(options.simulated ? { simulated: true } : {}), backends };
  }

  function system(): SystemHealth {
    const c = comfy();
    const comfyComponent: SystemHealth['components']['comfyui'] = {
      status: c.status,
      checkedAt:
        c.backends
          .map((b) => b.lastCheckedAt)
          .filter((t): t is string => t !== null)
          .sort()
          .at(-1) ?? null,
      ...(c.status === 'unavailable'
        ? { message: 'No ComfyUI backend is enabled' }
        : c.status === 'unhealthy'
          ? { message: 'No ComfyUI backend is healthy' }
          : c.status === 'degraded'
            ? { message: 'Some ComfyUI backends are not healthy' }
            : {}),
      ...(options.simulated ? { details: { simulated: true } } : {}),
      backends: c.backends,
    };
    const components = {
      database: state.database,
      queue: state.queue,
      comfyui: comfyComponent,
      storage: state.storage,
      ffmpeg: state.ffmpeg,
    };
    const worst = Math.max(...Object.values(components).map((x) => RANK[x.status]));
    const status: ComponentStatus = worst === 2 ? 'unhealthy' : worst === 1 ? 'degraded' : 'healthy';
    return { status, checkedAt: state.checkedAt, components };
  }

  return {
    start() {
      if (timer) return;
      void round_();
      timer = setInterval(() => void round_(), options.config.HEALTH_CHECK_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    async checkNow(opts = {}) {
      const comfyCheck =
        opts.comfyui !== false && options.pool?.checkNow
          ? withTimeout(options.pool.checkNow(), timeoutMs + 100).catch(() => {})
          : Promise.resolve();
      await Promise.all([round_(), comfyCheck]);
      return system();
    },
    system,
    comfy,
    onBackendChange(listener) {
      // The comfyui BackendPool emits 'change' with a backend's snapshot on every transition.
      const pool = options.pool as Partial<Pick<EventEmitter, 'on' | 'off'>> | undefined;
      const { on, off } = pool ?? {};
      if (!pool || !on || !off) return () => {};
      const onChange = (s: PoolBackendSnapshot) => listener(toBackendView(s));
      on.call(pool, 'change', onChange);
      return () => void off.call(pool, 'change', onChange);
    },
    async ready() {
      let database = false;
      let migrations = false;
      try {
        const result = await withTimeout(
          options.database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
          Math.min(timeoutMs, 2000),
        );
        database = true;
        const n = Number((result.rows[0] as { n?: unknown } | undefined)?.n ?? 0);
        migrations = n >= migrationsExpected();
      } catch (err) {
        // A reachable database without the migrations table has not been migrated yet.
        database = !(err instanceof CheckTimeout) && (await pingable(options.database, timeoutMs));
      }
      const ok = database && migrations;
      return {
        status: ok ? 'ready' : 'not_ready',
        checks: { database, migrations },
        ...(ok
          ? {}
          : {
              message: database
                ? 'Database migrations have not been applied'
                : 'The database is not reachable',
            }),
      };
    },
  };
}

async function pingable(database: Database, timeoutMs: number): Promise<boolean> {
  try {
    await withTimeout(database.db.execute(sql`select 1`), Math.min(timeoutMs, 2000));
    return true;
  } catch {
    return false;
  }
}
