import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Config, parseConfig, type RenderJob, type Segment } from '@framesmith/core';
import { startSimulator } from '@framesmith/comfy-sim';
import type { Simulator } from '@framesmith/comfy-sim/types';
import { type Database, openDb } from '@framesmith/db';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { pipelineRoutes } from '@framesmith/server/routes/renders';
import type { LiveEvent } from '../../src/events.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from '../../src/pipeline.ts';

/**
 * A real stack for end-to-end tests: a test database (PGlite or PostgreSQL by TEST_DB), real
 * simulators, the pipeline (api + worker) and the HTTP app driven through inject.
 */
export interface WorkerProcess {
  child: ChildProcess;
  /** Segment ids this process generated ("segment generated" log lines). */
  generated: string[];
  ready: Promise<void>;
  exited: Promise<number | null>;
}

export interface Harness {
  database: Database;
  /** postgres:// URL of the test database (PostgreSQL only). */
  url: string | undefined;
  sims: Simulator[];
  config: Config;
  pipeline: Pipeline;
  app: FastifyInstance;
  storageDir: string;
  /** POST/GET JSON through the app; returns status and parsed body. */
  api<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  project(settings?: Record<string, unknown>): Promise<string>;
  segment(projectId: string, prompt: string, params?: Record<string, unknown>): Promise<Segment>;
  /** Resolves with the render job once `done(job)` holds, checking on every live event. */
  waitForJob(id: string, done: (job: RenderJob) => boolean, timeoutMs?: number): Promise<RenderJob>;
  waitForSegment(id: string, done: (s: Segment) => boolean, timeoutMs?: number): Promise<Segment>;
  /** Resolves once `check` holds, re-checking on every live event and every 100 ms. */
  until(check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  /** Resolves once the pool sees every backend healthy with a closed breaker (as the UI indicator would). */
  backendsHealthy(timeoutMs?: number): Promise<void>;
  /**
   * PGlite with a data directory (`persistentPglite`): drops the database under the running
   * pipeline without letting it finish anything (as a crash would), then reopens the same
   * directory and starts a fresh pipeline on it.
   */
  crashAndRestart(): Promise<void>;
  /** A worker in a child process on this database (PostgreSQL). */
  spawnWorker(): Promise<WorkerProcess>;
  /** Another pipeline in this process on the same database (PostgreSQL), e.g. a worker. */
  startPipeline(role: 'worker' | 'all'): Promise<Pipeline>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  backends?: number;
  /** The in-process pipeline's role: 'api' leaves generation to spawned workers. */
  role?: 'all' | 'api';
  /** PGlite in a data directory (for crashAndRestart) rather than in memory. */
  persistentPglite?: boolean;
  generationMs?: number;
  env?: Record<string, string>;
  pipeline?: Partial<PipelineOptions>;
}

/** Small, fast settings: tiny clips, retry delays of ~50 ms. */
export const SMALL = { width: 64, height: 64, frames: 6, fps: 12 };

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const testDb: TestDatabase = await openTestDb();
  let database: Database = testDb;
  let dataDir: string | null = null;
  if (options.persistentPglite && testDb.kind === 'pglite') {
    // Same template, but in a directory that can be closed and reopened.
    const dump = await testDb.pglite!.dumpDataDir('gzip');
    await testDb.destroy();
    dataDir = mkdtempSync(join(tmpdir(), 'framesmith-pgdata-'));
    database = await openDb({ dataDir, loadDataDir: dump, migrate: false });
  }
  const extraPipelines: Pipeline[] = [];
  const children: WorkerProcess[] = [];
  const sims: Simulator[] = [];
  for (let i = 0; i < (options.backends ?? 1); i++) {
    sims.push(await startSimulator({ port: 0, generationMs: options.generationMs ?? 200 }));
  }
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-e2e-'));
  const config = parseConfig({
    COMFYUI_URL: sims.map((s) => s.url).join(','),
    STORAGE_DIR: storageDir,
    RETRY_BASE_DELAY_MS: '50',
    GENERATION_MAX_ATTEMPTS: '3',
    COMFYUI_REQUEST_TIMEOUT_MS: '3000',
    HEALTH_CHECK_INTERVAL_MS: '1000',
    HEALTH_CHECK_TIMEOUT_MS: '1000',
    WORKER_CONCURRENCY: '4',
    ...options.env,
  });
  const pipelineOptions: PipelineOptions = {
    database,
    config,
    role: options.role ?? 'all',
    tuning: { superviseIntervalSeconds: 1 },
    reaper: { intervalMs: 1000, graceMs: 3000 },
    random: () => 0.5,
    ...options.pipeline,
  };
  let pipeline = await startPipeline(pipelineOptions);
  let app = await buildApp({ database, config, pipeline, storage: pipeline.storage, routes: pipelineRoutes });

  const api: Harness['api'] = async (method, url, body) => {
    const res = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined } as never;
  };

  async function waitFor<T>(
    kind: LiveEvent['event'],
    id: string,
    read: () => Promise<T>,
    done: (v: T) => boolean,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let last: T | undefined;
      let finished = false;
      const check = async () => {
        if (finished) return;
        try {
          last = await read();
          if (!finished && done(last)) {
            finished = true;
            cleanup();
            resolve(last);
          }
        } catch (e) {
          finished = true;
          cleanup();
          reject(e);
        }
      };
      const unsubscribe = pipeline.events.subscribe(null, (e) => {
        if (e.event === kind && e.data.id === id) void check();
        else if (kind === 'render-job' && e.event === 'segment') void check();
      });
      const timer = setTimeout(() => {
        finished = true;
        cleanup();
        reject(new Error(`timed out waiting for ${kind} ${id}; last: ${JSON.stringify(last)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      void check();
    });
  }

  const harness: Harness = {
    get database() {
      return database;
    },
    url: testDb.url,
    sims,
    config,
    get pipeline() {
      return pipeline;
    },
    get app() {
      return app;
    },
    storageDir,
    api,
    async project(settings = {}) {
      const res = await api<{ id: string }>('POST', '/api/projects', { name: 'e2e', settings });
      if (res.status !== 201) throw new Error(`create project: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    },
    async segment(projectId, prompt, params = SMALL) {
      const res = await api<Segment>('POST', `/api/projects/${projectId}/segments`, { prompt, params });
      if (res.status !== 201) throw new Error(`create segment: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    waitForJob(id, done, timeoutMs = 60_000) {
      return waitFor(
        'render-job',
        id,
        async () => (await api<RenderJob>('GET', `/api/render-jobs/${id}`)).body,
        done,
        timeoutMs,
      );
    },
    waitForSegment(id, done, timeoutMs = 60_000) {
      return waitFor(
        'segment',
        id,
        async () => (await api<Segment>('GET', `/api/segments/${id}`)).body,
        done,
        timeoutMs,
      );
    },
    async until(check, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
        await new Promise<void>((resolve) => {
          const stop = pipeline.events.subscribe(null, () => {
            stop();
            clearTimeout(t);
            resolve();
          });
          const t = setTimeout(() => {
            stop();
            resolve();
          }, 100);
        });
      }
    },
    async backendsHealthy(timeoutMs = 30_000) {
      const pool = pipeline.pool!;
      const healthy = () => pool.snapshot().every((b) => b.status === 'healthy' && b.circuit === 'closed');
      if (healthy()) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('backends did not become healthy')), timeoutMs);
        const onChange = () => {
          if (!healthy()) return;
          clearTimeout(timer);
          pool.off('change', onChange);
          resolve();
        };
        pool.on('change', onChange);
        void pool.checkNow();
      });
    },
    async crashAndRestart() {
      if (!dataDir) throw new Error('crashAndRestart needs persistentPglite on PGlite');
      const crashed = pipeline;
      // The database goes away under the running pipeline: nothing more it does is recorded.
      crashed.queue.abandon();
      await database.close();
      await crashed.stop({ graceful: false }).catch(() => {});
      await app.close().catch(() => {});
      database = await openDb({ dataDir, migrate: false });
      pipelineOptions.database = database;
      pipeline = await startPipeline(pipelineOptions);
      app = await buildApp({ database, config, pipeline, storage: pipeline.storage, routes: pipelineRoutes });
    },
    async spawnWorker() {
      if (!testDb.url) throw new Error('spawnWorker needs PostgreSQL');
      const child = spawn(process.execPath, [join(import.meta.dirname, 'worker-process.ts')], {
        env: {
          ...process.env,
          DATABASE_URL: testDb.url,
          COMFYUI_URL: config.COMFYUI_URL.join(','),
          STORAGE_DIR: storageDir,
          RETRY_BASE_DELAY_MS: String(config.RETRY_BASE_DELAY_MS),
          GENERATION_MAX_ATTEMPTS: String(config.GENERATION_MAX_ATTEMPTS),
          COMFYUI_REQUEST_TIMEOUT_MS: String(config.COMFYUI_REQUEST_TIMEOUT_MS),
          HEALTH_CHECK_INTERVAL_MS: String(config.HEALTH_CHECK_INTERVAL_MS),
          HEALTH_CHECK_TIMEOUT_MS: String(config.HEALTH_CHECK_TIMEOUT_MS),
          WORKER_CONCURRENCY: String(config.WORKER_CONCURRENCY),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const generated: string[] = [];
      let onReady!: () => void;
      const ready = new Promise<void>((r) => {
        onReady = r;
      });
      createInterface({ input: child.stdout! }).on('line', (text) => {
        try {
          const entry = JSON.parse(text) as { msg?: string; segmentId?: string };
          if (entry.msg === 'worker ready') onReady();
          if (entry.msg === 'segment generated' && entry.segmentId) generated.push(entry.segmentId);
        } catch {
          // not a log line
        }
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const worker = { child, generated, ready, exited };
      children.push(worker);
      await Promise.race([ready, exited.then(() => Promise.reject(new Error('worker process exited')))]);
      return worker;
    },
    async startPipeline(role) {
      const extra = await startPipeline({ ...pipelineOptions, role });
      extraPipelines.push(extra);
      return extra;
    },
    async close() {
      for (const w of children) {
        if (w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGTERM');
          await w.exited;
        }
      }
      await app.close().catch(() => {});
      for (const p of [pipeline, ...extraPipelines])
        await p.stop({ graceful: true, timeoutMs: 5000 }).catch(() => {});
      for (const s of sims) await s.close().catch(() => {});
      if (dataDir) {
        await database.close().catch(() => {});
        rmSync(dataDir, { recursive: true, force: true });
      } else {
        await testDb.destroy();
      }
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export const isFinal = (job: RenderJob) => ['completed', 'failed', 'cancelled'].includes(job.status);
