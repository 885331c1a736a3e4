// Benchmark of the ComfyUI client against a real simulator process (issue 3's targets).
//   npx node bench/comfyui-latency.ts [--n=200] [--generation-ms=200] [--history-delay-ms=10]
//
// Per generation it measures, from the simulator's own `execution_success` timestamp:
//  - "finish known": when runGeneration knows the prompt finished and what it made (from an
//    unbroken WebSocket, or the history entry);
//  - "resolved": when runGeneration resolves, after fetching the video through /view and ffprobe;
// and the time beyond the simulated GPU time (execution_start → execution_success). A minimal raw
// driver (POST /prompt, WebSocket until `execution_success`, outputs from `executed`: no
// reconciliation, preflight, classification or output check) runs interleaved in the same run as
// the baseline.
// The simulator stamps messages with Date.now() (whole ms), so latencies carry up to +1 ms.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppError, BUILTIN_WORKFLOWS, type WorkflowGraph } from '@framesmith/core';
import WebSocket from 'ws';
import { classify } from '../packages/comfyui/src/classifier.ts';
import { ComfyClient } from '../packages/comfyui/src/comfy-client.ts';
import type { HistoryEntry } from '../packages/comfyui/src/comfy-types.ts';
import { runGeneration } from '../packages/comfyui/src/generation.ts';
import { FIXTURES } from '../packages/comfyui/test/fixtures/comfy-responses.ts';

const arg = (name: string, def: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
};
const N = arg('n', 200);
const GENERATION_MS = arg('generation-ms', 200);
// The simulator writes history this long after execution_success (its default, 10 ms, makes the
// protocol's success/history race show on every prompt; real ComfyUI's gap is usually far shorter).
const HISTORY_DELAY_MS = arg('history-delay-ms', 10);
const WARMUP = 5;

const now = () => performance.timeOrigin + performance.now();

function graph(i: number): WorkflowGraph {
  const g = structuredClone(BUILTIN_WORKFLOWS[0]!.graph);
  g['4']!.inputs.text = `bench ${i}`;
  g['6']!.inputs.width = 160;
  g['6']!.inputs.height = 96;
  g['6']!.inputs.length = 9;
  g['10']!.inputs.fps = 8;
  return g;
}

async function startSimProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  const code = `
    import { startSimulator } from '@framesmith/comfy-sim';
    const sim = await startSimulator({ port: 0, generationMs: ${GENERATION_MS}, historyDelayMs: ${HISTORY_DELAY_MS} });
    console.log(JSON.stringify({ url: sim.url }));
    process.on('SIGTERM', async () => { await sim.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line: string = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (c) => reject(new Error(`simulator exited with ${c}`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  process.once('exit', () => child.kill()); // never leave the simulator behind
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function stamps(entry: HistoryEntry): { start: number; success: number } {
  const at = (event: string) => Number(entry.status?.messages.find(([e]) => e === event)?.[1]?.timestamp);
  return { start: at('execution_start'), success: at('execution_success') };
}

/** The prompt's history entry, once the simulator has written it (outside any timing). */
async function historyOf(url: string, id: string): Promise<HistoryEntry> {
  for (;;) {
    const h = (await (await fetch(`${url}/history/${id}`)).json()) as Record<string, HistoryEntry>;
    if (h[id]) return h[id];
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The baseline: the least a client must do to run a prompt and learn it finished with its
 * outputs: submit, then read the WebSocket until `execution_success`, the outputs being those
 * `executed` announced.
 */
class RawDriver {
  readonly #url: string;
  readonly #clientId = `raw-${randomUUID()}`;
  #ws!: WebSocket;
  #waiters = new Map<string, () => void>();
  #outputs = new Map<string, Record<string, unknown>>();

  constructor(url: string) {
    this.#url = url;
  }

  async open(): Promise<void> {
    this.#ws = new WebSocket(`${this.#url.replace(/^http/, 'ws')}/ws?clientId=${this.#clientId}`);
    this.#ws.on('message', (raw, binary) => {
      if (binary) return;
      const m = JSON.parse(raw.toString()) as {
        type: string;
        data: { node?: unknown; output?: unknown; prompt_id?: string };
      };
      const id = m.data.prompt_id;
      if (!id) return;
      if (m.type === 'executed' && typeof m.data.node === 'string') {
        this.#outputs.set(id, { ...this.#outputs.get(id), [m.data.node]: m.data.output });
      }
      if (m.type === 'execution_success') this.#waiters.get(id)?.();
    });
    await new Promise((resolve) => this.#ws.once('open', resolve));
  }

  async run(g: WorkflowGraph): Promise<{ t0: number; done: number; id: string }> {
    const id = randomUUID();
    const finished = new Promise<void>((resolve) => this.#waiters.set(id, resolve));
    const t0 = now();
    const res = await fetch(`${this.#url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: g, client_id: this.#clientId, prompt_id: id }),
    });
    await res.json();
    await finished;
    const done = now();
    this.#waiters.delete(id);
    if (!this.#outputs.delete(id)) throw new Error('the raw driver saw no outputs');
    return { t0, done, id };
  }

  close(): void {
    this.#ws.close();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const med = (xs: number[]) => pct(xs, 50);
const f1 = (x: number) => x.toFixed(1).padStart(7);

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function main() {
  const sim = await startSimProcess();
  const dir = await mkdtemp(join(tmpdir(), 'framesmith-bench-'));
  const client = new ComfyClient({
    name: 'sim',
    baseUrl: sim.url,
    requestTimeoutMs: 30_000,
    retryBaseDelayMs: 2000,
  });
  const raw = new RawDriver(sim.url);
  await raw.open();

  const ours = {
    known: [] as number[],
    resolved: [] as number[],
    overKnown: [] as number[],
    overResolved: [] as number[],
    fromSocket: 0,
  };
  const base = { latency: [] as number[], over: [] as number[] };
  const checkMs: number[] = [];
  let cpuOurs = 0;
  let cpuBase = 0;

  console.log(
    `comfyui-latency: ${N} generations of ${GENERATION_MS} ms on a simulator process (+${WARMUP} warm-up each; history written ${HISTORY_DELAY_MS} ms after execution_success)`,
  );
  for (let i = 0; i < N + WARMUP; i++) {
    const record = i >= WARMUP;
    // Ours.
    let cpu = process.cpuUsage();
    const t0 = now();
    const r = await runGeneration(client, {
      graph: graph(i),
      promptId: randomUUID(),
      // A new id, as the pipeline's fresh attempts send: no look for it before the send.
      neverSent: true,
      generationTimeoutMs: 60_000,
      outputDir: join(dir, String(i)),
    });
    const resolved = now();
    const c1 = process.cpuUsage(cpu);
    const s = stamps(await historyOf(sim.url, r.promptId));
    if (record) {
      cpuOurs += (c1.user + c1.system) / 1000;
      ours.known.push(r.trace.finishedAt - s.success);
      if (r.trace.completedVia === 'websocket' && r.trace.socketDrops === 0) ours.fromSocket++;
      ours.resolved.push(resolved - s.success);
      ours.overKnown.push(r.trace.finishedAt - t0 - (s.success - s.start));
      ours.overResolved.push(resolved - t0 - (s.success - s.start));
      checkMs.push(r.trace.checkedAt - r.trace.finishedAt);
    }
    // Baseline.
    cpu = process.cpuUsage();
    const b = await raw.run(graph(i));
    const c2 = process.cpuUsage(cpu);
    const bs = stamps(await historyOf(sim.url, b.id));
    if (record) {
      cpuBase += (c2.user + c2.system) / 1000;
      base.latency.push(b.done - bs.success);
      base.over.push(b.done - b.t0 - (bs.success - bs.start));
    }
    if (record && (i - WARMUP + 1) % 50 === 0) console.log(`  ${i - WARMUP + 1}/${N}`);
  }
  raw.close();

  // The classifier alone, on every recorded response.
  const reps = 2000;
  const tc = performance.now();
  for (let k = 0; k < reps; k++) for (const f of FIXTURES) classify(f.outcome);
  const classifyUs = ((performance.now() - tc) * 1000) / (reps * FIXTURES.length);

  // Nothing listening: COMFYUI_CONNECTION_ERROR after the call-level retries (default 2 s base delay).
  const refused: number[] = [];
  for (let k = 0; k < 5; k++) {
    const dead = new ComfyClient({
      name: 'dead',
      baseUrl: `http://127.0.0.1:${await deadPort()}`,
      requestTimeoutMs: 30_000,
      retryBaseDelayMs: 2000,
    });
    const t = now();
    try {
      await runGeneration(dead, {
        graph: graph(0),
        promptId: randomUUID(),
        generationTimeoutMs: 60_000,
        outputDir: dir,
      });
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'COMFYUI_CONNECTION_ERROR') throw e;
    }
    refused.push(now() - t);
    dead.close();
  }

  // A restart mid-generation: COMFYUI_PROMPT_LOST, measured from the restart.
  const lost: number[] = [];
  for (let k = 0; k < 3; k++) {
    let restartAt = 0;
    try {
      await runGeneration(client, {
        graph: graph(k),
        promptId: randomUUID(),
        generationTimeoutMs: 300_000,
        outputDir: join(dir, `lost-${k}`),
        onProgress: (e) => {
          if (e.phase === 'running' && restartAt === 0) {
            restartAt = now();
            void fetch(`${sim.url}/sim/restart`, { method: 'POST', body: '{}' });
          }
        },
      });
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'COMFYUI_PROMPT_LOST') throw e;
    }
    lost.push(now() - restartAt);
  }

  client.close();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });

  const row = (label: string, xs: number[]) =>
    console.log(
      `  ${label.padEnd(58)} ${f1(med(xs))} ${f1(pct(xs, 90))} ${f1(pct(xs, 99))} ${f1(Math.max(...xs))}`,
    );
  const load = loadavg().map((x) => x.toFixed(2));
  console.log(`\n  load average at the end: ${load.join(' ')} on ${availableParallelism()} cores`);
  console.log(`  ${'ms, over the recorded generations'.padEnd(58)}     p50     p90     p99     max`);
  console.log(
    `  execution_success → client has the finished result (${ours.fromSocket}/${N} of ours known from the WebSocket)`,
  );
  row('  runGeneration: finish known (outcome and outputs in hand)', ours.known);
  row('  runGeneration: resolved (after /view fetch + ffprobe check)', ours.resolved);
  row('  baseline raw driver: finish known', base.latency);
  console.log('  time beyond the simulated GPU time (execution_start → success)');
  row('  runGeneration up to finish known', ours.overKnown);
  row('  runGeneration up to resolved', ours.overResolved);
  row('  baseline raw driver', base.over);
  row('  output fetch + ffprobe check (finish known → resolved)', checkMs);
  const clientOverhead = ours.overKnown.map((x, i) => x - base.over[i]!);
  row('  client + classifier overhead vs baseline (paired)', clientOverhead);
  console.log(
    `\n  CPU per generation: runGeneration ${(cpuOurs / N).toFixed(2)} ms, baseline ${(cpuBase / N).toFixed(2)} ms` +
      ` (ffprobe runs in a child process, not counted)`,
  );
  console.log(
    `  classify(): ${classifyUs.toFixed(2)} µs per recorded response (${FIXTURES.length} fixtures)`,
  );
  console.log(
    `  nothing listening → COMFYUI_CONNECTION_ERROR: p50 ${med(refused).toFixed(0)} ms, max ${Math.max(...refused).toFixed(0)} ms (5 runs, RETRY_BASE_DELAY_MS=2000)`,
  );
  console.log(
    `  restart mid-generation → COMFYUI_PROMPT_LOST: p50 ${med(lost).toFixed(0)} ms, max ${Math.max(...lost).toFixed(0)} ms after the restart (3 runs)`,
  );
}

await main();
