// How long the Render button's request takes for a project of many segments (POST /render: the
// render job, its segments queued, one queue job each, the events), against queuing the same
// jobs one statement each as the pipeline did before it batched them (a baseline in the same run).
//   npx node bench/render-request.ts [--db=pglite,postgres] [--n=100] [--runs=5]
import { randomUUID } from 'node:crypto';
import type { TestDbKind } from '@framesmith/db/testing';
import { ms, now, percentile, startSims, startStack } from './pipeline-stack.ts';
import { rerunWithServerFlags } from './server-flags.ts';

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const DBS = arg('db', 'pglite,postgres').split(',') as TestDbKind[];
const N = Number(arg('n', '100'));
const RUNS = Number(arg('runs', '5'));

rerunWithServerFlags();
const lines: string[] = [];
for (const kind of DBS) {
  // A generation longer than the benchmark: the jobs wait, and each render is cancelled after.
  const sims = await startSims(1, 600_000);
  const stack = await startStack(kind, sims.urls, { WORKER_CONCURRENCY: '1' });
  try {
    const request: number[] = [];
    const oneByOne: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const project = await stack.post<{ id: string }>('/api/projects', { name: `render request ${r}` });
      for (let i = 0; i < N; i++) {
        await stack.post(`/api/projects/${project.id}/segments`, {
          prompt: `shot ${i}`,
          params: { width: 64, height: 64, frames: 6, fps: 12 },
        });
      }
      const t0 = now();
      const job = await stack.post<{ id: string }>(`/api/projects/${project.id}/render`);
      request.push(now() - t0);
      await stack.post(`/api/render-jobs/${job.id}/cancel`);
      // Baseline: the same number of jobs, one send (one statement) each, for segments that do
      // not exist (their jobs are skipped if a worker ever takes them).
      const t1 = now();
      for (let i = 0; i < N; i++) {
        await stack.pipeline.queue.send('segment-generate', { segmentId: randomUUID(), renderJobId: null });
      }
      oneByOne.push(now() - t1);
    }
    const [req, base] = [percentile(request, 50), percentile(oneByOne, 50)];
    lines.push(
      `[${kind}] POST /render of ${N} segments: median ${ms(req)} (${request.map((x) => Math.round(x)).join(', ')}); ` +
        `queuing ${N} jobs one by one alone: ${ms(base)}; the whole request takes ${((req / base) * 100).toFixed(0)} % of that`,
    );
    console.log(lines.at(-1));
  } finally {
    await stack.close();
    await sims.stop();
  }
}
console.log(`\n${lines.join('\n')}`);
process.exit(0);
