// Operations benchmark (issue 6):
//  1. p50/p99 latency of GET /api/health/comfyui at 200 requests/s while one of two backends hangs
//     (its health checks never get an answer and end at HEALTH_CHECK_TIMEOUT_MS);
//  2. scrape time of GET /metrics with 10,000 generation attempts recorded.
// Both on PGlite and on PostgreSQL.
//
//   npx node bench/ops-health.ts                      everything
//   npx node bench/ops-health.ts --only=health        (or --only=metrics)
//   BENCH_DURATION=10 BENCH_DB=pglite,postgres BENCH_ATTEMPTS=10000 BENCH_RATE=200
//
// autocannon runs as its own process, so load generator and server do not share an event loop.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { BackendPool } from '@framesmith/comfyui';
import { startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { backendViews } from '@framesmith/server/backend-view';
import { createHealthMonitor } from '@framesmith/server/health-monitor';
import { createMetrics } from '@framesmith/server/metrics';
import { healthRoutes } from '@framesmith/server/routes/health';
import { metricsRoutes } from '@framesmith/server/routes/metrics';

const root = resolve(import.meta.dirname, '..');
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rate = Number(process.env.BENCH_RATE ?? 200);
const attempts = Number(process.env.BENCH_ATTEMPTS ?? 10_000);
const kinds = (process.env.BENCH_DB ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

interface Load {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

/** autocannon at a fixed overall rate (-R), in a child process. */
async function autocannonAtRate(url: string, seconds: number, rps: number): Promise<Load> {
  const child = spawn(
    join(root, 'node_modules/.bin/autocannon'),
    ['-c', '20', '-R', String(rps), '-d', String(seconds), '-j', url],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => child.on('close', r));
  const j = JSON.parse(out) as {
    requests: { total: number };
    latency: { p50: number; p99: number; max: number };
    errors: number;
    non2xx: number;
  };
  return {
    sent: j.requests.total,
    p50: j.latency.p50,
    p99: j.latency.p99,
    max: j.latency.max,
    errors: j.errors,
    non2xx: j.non2xx,
  };
}

const HEALTH_TIMEOUT_MS = 5000;

async function benchHealth(kind: 'pglite' | 'postgres'): Promise<void> {
  const database = await openTestDb(kind);
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-bench-ops-'));
  const good = await startSimulator({ port: 0, generationMs: 50 });
  const hung = await startSimulator({ port: 0, generationMs: 50, faults: [{ kind: 'hang' }] });
  const pool = new BackendPool({
    backends: [
      { name: 'gpu-ok', url: good.url },
      { name: 'gpu-hung', url: hung.url },
    ],
    requestTimeoutMs: 30_000,
    retryBaseDelayMs: 100,
    healthCheckTimeoutMs: HEALTH_TIMEOUT_MS,
    healthCheckIntervalMs: 1000,
  });
  const config = parseConfig({
    HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_TIMEOUT_MS),
    HEALTH_CHECK_INTERVAL_MS: '1000',
    STORAGE_DIR: storageDir,
  });
  const monitor = createHealthMonitor({ database, config, pool });
  const metrics = createMetrics({ database, backends: () => backendViews(pool), processMetrics: false });
  const app = await buildApp({ database, config, routes: [healthRoutes(monitor), metricsRoutes(metrics)] });
  try {
    pool.start();
    monitor.start();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://127.0.0.1:${port}/api/health/comfyui`;
    // A hanging check is in flight from the first tick: gpu-hung never answers its /system_stats.
    await autocannonAtRate(url, 2, rate); // warm-up
    const load = await autocannonAtRate(url, duration, rate);
    const hungState = pool.snapshot().find((b) => b.name === 'gpu-hung');
    console.log(
      `health  ${kind.padEnd(8)} GET /api/health/comfyui at ${rate} req/s for ${duration} s, one backend hanging ` +
        `(checks end at ${HEALTH_TIMEOUT_MS} ms): sent ${load.sent}, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
        `max ${load.max} ms, errors ${load.errors}, non-2xx ${load.non2xx}; hung backend now "${hungState?.status}"`,
    );
  } finally {
    monitor.stop();
    pool.stop();
    await app.close();
    await good.close();
    await hung.close();
    await database.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

/** n attempts over n/5 segments in two projects, with a realistic mix of outcomes and codes. */
async function seedAttempts(database: TestDatabase, n: number): Promise<void> {
  const segmentsCount = Math.ceil(n / 5);
  await database.db.execute(sql`
    insert into projects (id, name) values
      ('00000000-0000-4000-8000-000000000001', 'bench a'), ('00000000-0000-4000-8000-000000000002', 'bench b')`);
  await database.db.execute(sql`
    insert into segments (id, project_id, position, prompt)
    select ('00000000-0000-4000-9000-' || lpad(i::text, 12, '0'))::uuid,
           case when i % 2 = 0 then '00000000-0000-4000-8000-000000000001'::uuid
                else '00000000-0000-4000-8000-000000000002'::uuid end,
           i, 'bench segment ' || i
    from generate_series(1, ${segmentsCount}) as i`);
  await database.db.execute(sql`
    insert into generation_attempts
      (segment_id, project_id, attempt, backend, outcome, error_code, started_at, finished_at, duration_ms)
    select s.id, s.project_id, a,
           'gpu-' || (1 + (k % 4)),
           case when k % 10 < 7 then 'succeeded' when k % 10 < 9 then 'failed' else 'cancelled' end,
           case when k % 10 between 7 and 8 then
             (array['COMFYUI_TIMEOUT','COMFYUI_OUT_OF_MEMORY','COMFYUI_CONNECTION_ERROR','COMFYUI_MISSING_NODE'])[1 + (k % 4)]
           end,
           now() - (k || ' minutes')::interval,
           now() - (k || ' minutes')::interval + ((500 + (k * 37) % 60000) || ' milliseconds')::interval,
           500 + (k * 37) % 60000
    from (select row_number() over () as k, s.id, s.project_id, a
          from segments s cross join generate_series(1, 5) as a) as x
    join segments s on s.id = x.id
    where k <= ${n}`);
}

async function benchMetrics(kind: 'pglite' | 'postgres'): Promise<void> {
  const database = await openTestDb(kind);
  try {
    await seedAttempts(database, attempts);
    const [{ n } = { n: 0 }] = (
      await database.db.execute(sql`select count(*)::int as n from generation_attempts`)
    ).rows as { n: number }[];
    const metrics = createMetrics({ database, processMetrics: false });
    const app = await buildApp({ database, config: parseConfig({}), routes: [metricsRoutes(metrics)] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics`;
    try {
      for (let i = 0; i < 3; i++) await (await fetch(url)).text(); // warm-up
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        const res = await fetch(url);
        bytes = (await res.text()).length;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
      console.log(
        `metrics ${kind.padEnd(8)} GET /metrics with ${n} attempts recorded: median ${at(0.5)} ms, ` +
          `p95 ${at(0.95)} ms, max ${at(1)} ms over ${times.length} scrapes (${(bytes / 1024).toFixed(1)} KiB)`,
      );
    } finally {
      await app.close();
    }
  } finally {
    await database.destroy();
  }
}

for (const kind of kinds) {
  if (!only || only === 'health') await benchHealth(kind);
  if (!only || only === 'metrics') await benchMetrics(kind);
}
