// The real stack the pipeline benchmark drives: a test database (PGlite or PostgreSQL), simulators
// in a child process (so their event loop and ffmpeg renders do not share ours), the pipeline
// (api + worker) and the HTTP app listening on a port, with an SSE client of /api/events.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FastifyInstance } from 'fastify';
import { type Config, parseConfig, type Segment } from '@framesmith/core';
import { openTestDb, type TestDatabase, type TestDbKind } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { pipelineRoutes } from '@framesmith/server/routes/renders';
import { type Pipeline, startPipeline } from '../packages/pipeline/src/pipeline.ts';

export const now = () => performance.timeOrigin + performance.now();

/** Prints a line when connected, then one JSON line per event: {at, event, data}. */
const SSE_CLIENT = `
  const now = () => performance.timeOrigin + performance.now();
  const res = await fetch(process.argv[1]);
  console.log('{}');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const at = now();
    buffer += value;
    const blocks = buffer.split('\\n\\n');
    buffer = blocks.pop();
    for (const block of blocks) {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) process.stdout.write(JSON.stringify({ at, event, data: JSON.parse(data) }) + '\\n');
    }
  }
`;

export interface Sims {
  urls: string[];
  stop(): Promise<void>;
}

/** `count` simulators in one child process, each with its own port. */
export async function startSims(count: number, generationMs: number): Promise<Sims> {
  const code = `
    import { startSimulator } from '@framesmith/comfy-sim';
    const sims = [];
    for (let i = 0; i < ${count}; i++) sims.push(await startSimulator({ port: 0, generationMs: ${generationMs} }));
    console.log(JSON.stringify(sims.map((s) => s.url)));
    process.on('SIGTERM', async () => { for (const s of sims) await s.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line: string = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`simulators exited with ${c}`)));
  });
  process.once('exit', () => child.kill());
  return {
    urls: JSON.parse(line) as string[],
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface ReceivedEvent {
  at: number;
  event: string;
  data: Segment & { status: string; id: string };
}

/** Fields of the worker's "segment generated" log line (see segment-worker.ts). */
export interface GeneratedLog {
  segmentId: string;
  toRunMs: number;
  queueMs: number;
  executionMs: number;
  afterFinishMs: { fetch: number; check: number; store: number; complete: number };
  /** Epoch ms (fractional) when the worker took the job, and when the segment was completed. */
  takenAt: number;
  completedAt: number;
}

export interface Stack {
  database: TestDatabase;
  generated: Map<string, GeneratedLog>;
  config: Config;
  pipeline: Pipeline;
  app: FastifyInstance;
  address: string;
  events: ReceivedEvent[];
  /** Resolves when `predicate` holds for a received SSE event. */
  nextEvent(predicate: (e: ReceivedEvent) => boolean): Promise<ReceivedEvent>;
  post<T>(url: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startStack(
  kind: TestDbKind,
  simUrls: string[],
  env: Record<string, string>,
): Promise<Stack> {
  const database = await openTestDb(kind);
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-bench-'));
  const config = parseConfig({
    COMFYUI_URL: simUrls.join(','),
    STORAGE_DIR: storageDir,
    LOG_LEVEL: 'silent',
    HEALTH_CHECK_INTERVAL_MS: '5000',
    ...env,
  });
  const generated = new Map<string, GeneratedLog>();
  const noop = () => {};
  const logger = {
    debug: noop,
    warn: noop,
    error: noop,
    info: (obj: object, msg?: string) => {
      if (msg === 'segment generated') generated.set((obj as GeneratedLog).segmentId, obj as GeneratedLog);
    },
  };
  const pipeline = await startPipeline({
    database,
    config,
    role: 'all',
    logger,
  });
  const app = await buildApp({
    database,
    config,
    pipeline,
    storage: pipeline.storage,
    routes: pipelineRoutes,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  const events: ReceivedEvent[] = [];
  const waiters = new Set<{
    predicate: (e: ReceivedEvent) => boolean;
    resolve: (e: ReceivedEvent) => void;
  }>();
  // The SSE client is a process of its own, as a browser is: it stamps each event as it arrives,
  // whatever this process (server, worker, embedded database) is doing at that moment.
  const client = spawn(process.execPath, ['--input-type=module', '-e', SSE_CLIENT, `${address}/api/events`], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const clientExited = new Promise<void>((resolve) => client.once('exit', () => resolve()));
  let connected: () => void = () => {};
  createInterface({ input: client.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as ReceivedEvent;
    if (e.event === undefined) return connected(); // the stream is open
    events.push(e);
    for (const w of waiters) {
      if (w.predicate(e)) {
        waiters.delete(w);
        w.resolve(e);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    connected = resolve;
    client.once('exit', (c) => reject(new Error(`the SSE client exited with ${c}`)));
  });

  return {
    database,
    generated,
    config,
    pipeline,
    app,
    address,
    events,
    nextEvent(predicate) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ predicate, resolve }));
    },
    async post<T>(url: string, body?: unknown): Promise<T> {
      const r = await fetch(`${address}${url}`, {
        method: 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`${url}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    async close() {
      client.kill();
      await clientExited;
      await app.close();
      await pipeline.stop({ graceful: true, timeoutMs: 5000 });
      await database.destroy();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;
