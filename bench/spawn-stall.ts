// How long starting an ffprobe holds a large process's event loop: started directly
// (child_process.spawn, which forks this process) against started by the spawn host (spawner.ts).
//   npx node bench/spawn-stall.ts [--rss-mb=400] [--runs=30]
// The process first grows to about --rss-mb of resident memory (the pipeline benchmark's process,
// with the embedded database, API and worker, measures ~410 MB), then starts `runs` ffprobes each
// way, one at a time, and reports the time the start call held the thread (median, p90, max).
import { spawn } from 'node:child_process';
import { memoryUsage } from 'node:process';
import { spawnHostReady, spawnProcess, startSpawnHost } from '../packages/media/src/spawner.ts';
import { percentile } from './pipeline-stack.ts';

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const RSS_MB = Number(arg('rss-mb', '400'));
const RUNS = Number(arg('runs', '30'));

// The host starts while this process is small, as the pipeline starts it.
startSpawnHost();
const ballast: Buffer[] = [];
while (memoryUsage().rss < RSS_MB * 1024 * 1024) ballast.push(Buffer.alloc(16 * 1024 * 1024, 1));
while (!spawnHostReady()) await new Promise((r) => setTimeout(r, 10));

/** Starts a spare-like ffprobe (waiting on stdin), returns how long the call held the thread; ends it. */
async function once(start: () => { stdin: NodeJS.WritableStream; on(e: 'close', l: () => void): unknown }) {
  const t0 = performance.now();
  const child = start();
  const held = performance.now() - t0;
  await new Promise<void>((resolve) => {
    child.on('close', () => resolve());
    child.stdin.end();
  });
  return held;
}

const ARGS = ['-v', 'error', '-i', 'pipe:0'];
const direct: number[] = [];
const viaHost: number[] = [];
for (let i = 0; i < RUNS; i++) {
  // Alternating, so that neither gets the quieter moments of this shared machine.
  direct.push(await once(() => spawn('ffprobe', ARGS, { stdio: ['pipe', 'pipe', 'pipe'] })));
  viaHost.push(await once(() => spawnProcess('ffprobe', ARGS)));
}
const ms = (n: number) => `${n.toFixed(2)} ms`;
const line = (xs: number[]) =>
  `median ${ms(percentile(xs, 50))}, p90 ${ms(percentile(xs, 90))}, max ${ms(Math.max(...xs))}`;
console.log(
  `ffprobe start in a process of ${(memoryUsage().rss / 1024 / 1024).toFixed(0)} MB resident, ${RUNS} starts each (${ballast.length} ballast buffers):`,
);
console.log(`  direct (child_process.spawn): the event loop held ${line(direct)}`);
console.log(`  spawn host (spawnProcess):    the event loop held ${line(viaHost)}`);
console.log(
  `  the spawn host holds it ${(percentile(direct, 50) / percentile(viaHost, 50)).toFixed(0)}× less (median)`,
);
process.exit(0);
