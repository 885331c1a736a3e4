// API benchmark (issue 2): GET /api/projects/:id with 100 segments at 32 connections (autocannon),
// on PGlite and on PostgreSQL, beside a bare Fastify route returning a constant in the same run;
// then idle RSS of the embedded server, cold start and warm restart to the first 200.
//
//   npx node bench/api-throughput.ts                 everything
//   npx node bench/api-throughput.ts --only=http     throughput only   (--only=start: start-up and RSS only)
//   BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_DB=pglite,postgres
//                                                    seconds per measurement, rounds (medians), databases
//
// autocannon runs as its own process, so load generator and server do not share an event loop.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { parseConfig } from '@framesmith/core';
import { createProject, createSegment, openDb, type Database } from '@framesmith/db';
import { openTestDb } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';

const root = resolve(import.meta.dirname, '..');
const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const kinds = (process.env.BENCH_DB ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs autocannon in a child process against one URL and returns its summary. */
async function autocannon(url: string, seconds: number, headers: string[] = []): Promise<Load> {
  const child = spawn(
    join(root, 'node_modules/.bin/autocannon'),
    ['-c', '32', '-d', String(seconds), ...headers.flatMap((h) => ['-H', h]), '-j', url],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => child.on('close', r));
  const j = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    rps: j.requests.average,
    p50: j.latency.p50,
    p99: j.latency.p99,
    errors: j.errors,
    non2xx: j.non2xx,
  };
}

async function measure(url: string, headers: string[] = [], warmUp = true): Promise<Load> {
  if (warmUp) await autocannon(url, 2, headers); // JIT, connection pools, caches
  return autocannon(url, duration, headers);
}

/** The run with the median requests/s. */
function median(loads: Load[]): Load {
  return [...loads].sort((a, b) => a.rps - b.rps)[Math.floor(loads.length / 2)]!;
}

async function seed(database: Database): Promise<string> {
  const project = await createProject(database.db, { name: 'Benchmark', description: '100 segments' });
  for (let i = 0; i < 100; i++) {
    await createSegment(database.db, project.id, {
      prompt: `Segment ${i}: a slow dolly shot over a misty forest at dawn, cinematic lighting`,
      negativePrompt: 'blurry, low quality',
      params: { width: 832, height: 480, frames: 33, fps: 16 },
    });
  }
  return project.id;
}

async function openBenchDb(
  kind: 'pglite' | 'postgres',
): Promise<{ database: Database; done(): Promise<void> }> {
  if (kind === 'postgres') {
    const database = await openTestDb('postgres');
    return { database, done: () => database.destroy() };
  }
  // Embedded mode keeps its data on disk, so the benchmark does too.
  const dir = mkdtempSync(join(tmpdir(), 'framesmith-bench-'));
  const database = await openDb({ dataDir: dir });
  return {
    database,
    async done() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const fmt = (l: Load) =>
  `${Math.round(l.rps).toString().padStart(6)} req/s   p50 ${String(l.p50).padStart(3)} ms   p99 ${String(l.p99).padStart(3)} ms` +
  (l.errors || l.non2xx ? `   (errors ${l.errors}, non-2xx ${l.non2xx})` : '');

async function throughput(): Promise<void> {
  console.log(
    `\n## GET /api/projects/:id with 100 segments, 32 connections, ${duration} s each, median of ${rounds} rounds\n`,
  );
  const bare = Fastify();
  bare.get('/bare', async () => ({ hello: 'world' }));
  // The same bytes as the project route's answer, from a bare route: what sending 60 KB costs
  // here (the load generator shares the two cores and reads every byte).
  let sameBytes = Buffer.alloc(0);
  bare.get('/bare-same-bytes', (_req, reply) => {
    reply.type('application/json; charset=utf-8').send(sameBytes);
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/bare`;
  try {
    for (const kind of kinds) {
      const { database, done } = await openBenchDb(kind);
      try {
        const projectId = await seed(database);
        const app = await buildApp({ database, config: parseConfig({}) });
        await app.listen({ port: 0, host: '127.0.0.1' });
        const port = (app.server.address() as { port: number }).port;
        const check = await fetch(`http://127.0.0.1:${port}/api/projects/${projectId}`);
        const body = (await check.json()) as { segments: unknown[] };
        if (check.status !== 200 || body.segments.length !== 100)
          throw new Error('the project route is not serving');
        const projectUrl = `http://127.0.0.1:${port}/api/projects/${projectId}`;
        sameBytes = Buffer.from(JSON.stringify(body));
        // The machine is shared and noisy: the routes take turns, ROUNDS times, and each gives its median.
        const runs: Record<'bare' | 'sameBytes' | 'project' | 'gzip', Load[]> = {
          bare: [],
          sameBytes: [],
          project: [],
          gzip: [],
        };
        for (let round = 0; round < rounds; round++) {
          runs.bare.push(await measure(bareUrl, [], round === 0));
          runs.sameBytes.push(await measure(`${bareUrl}-same-bytes`, [], round === 0));
          runs.project.push(await measure(projectUrl, [], round === 0));
          // As a browser asks: Accept-Encoding: gzip.
          runs.gzip.push(await measure(projectUrl, ['accept-encoding=gzip'], round === 0));
        }
        const bareLoad = median(runs.bare);
        const sameBytesLoad = median(runs.sameBytes);
        const projectLoad = median(runs.project);
        const gzipLoad = median(runs.gzip);
        await app.close();
        // The same route with the project view cache off: every request reads the database.
        const uncached = await buildApp({
          database,
          config: parseConfig({}),
          projectViewCache: { ttlMs: 0 },
        });
        await uncached.listen({ port: 0, host: '127.0.0.1' });
        const uncachedPort = (uncached.server.address() as { port: number }).port;
        const uncachedLoad = await measure(`http://127.0.0.1:${uncachedPort}/api/projects/${projectId}`);
        await uncached.close();
        console.log(`${kind.padEnd(9)} bare route             ${fmt(bareLoad)}`);
        console.log(`${kind.padEnd(9)} bare, same 60 KB bytes ${fmt(sameBytesLoad)}`);
        console.log(`${kind.padEnd(9)} project route          ${fmt(projectLoad)}`);
        console.log(`${kind.padEnd(9)} project route, gzip    ${fmt(gzipLoad)}`);
        console.log(`${kind.padEnd(9)} project route, uncached ${fmt(uncachedLoad)}`);
        console.log(
          `${kind.padEnd(9)} ratio                  ${(projectLoad.rps / bareLoad.rps).toFixed(2)} of the bare route ` +
            `(gzip ${(gzipLoad.rps / bareLoad.rps).toFixed(2)}; target ≥ 0.50); ` +
            `${(projectLoad.rps / sameBytesLoad.rps).toFixed(2)} of a bare route sending the same bytes; ` +
            `response ${Buffer.byteLength(JSON.stringify(body))} bytes\n`,
        );
      } finally {
        await done();
      }
    }
  } finally {
    await bare.close();
  }
}

// ---- start-up and memory ----

function startBin(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--max-semi-space-size=16', join(root, 'bin/framesmith.ts'), 'start'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function firstOk(url: string, since: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) throw new Error(`no 200 from ${url}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function rssMb(pid: number): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

async function startup(): Promise<void> {
  console.log(
    '## Embedded start (node --max-semi-space-size=16 bin/framesmith.ts start, as npm start runs it)\n',
  );
  const dir = mkdtempSync(join(tmpdir(), 'framesmith-start-'));
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const url = `http://127.0.0.1:${port}/api/projects`;
  try {
    let t0 = performance.now();
    let child = startBin(dir, port);
    const cold = await firstOk(url, t0);
    await stop(child);
    console.log(
      `cold start (empty DATA_DIR: initdb + migrations) to first 200: ${(cold / 1000).toFixed(2)} s`,
    );

    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      t0 = performance.now();
      child = startBin(dir, port);
      warm.push(await firstOk(url, t0));
      if (i < 2) await stop(child);
    }
    console.log(
      `warm restart to first 200: ${warm.map((w) => (w / 1000).toFixed(2)).join(' s, ')} s (target < 3 s)`,
    );
    await new Promise((r) => setTimeout(r, 5000));
    console.log(
      `idle RSS of the embedded server, 5 s after start: ${await rssMb(child.pid!)} MB (target < 400 MB)`,
    );
    await stop(child);

    t0 = performance.now();
    const checks = spawn(
      'sh',
      ['-c', 'node scripts/ensure.mjs --runtime && node scripts/build-web-if-needed.mjs'],
      { cwd: root, stdio: 'ignore' },
    );
    await new Promise((r) => checks.on('close', r));
    console.log(
      `npm start's install and web-build checks, when nothing is missing: ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!only || only === 'http') await throughput();
if (!only || only === 'start') await startup();
