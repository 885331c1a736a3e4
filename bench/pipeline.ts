// Benchmark of the render pipeline against simulated ComfyUI backends (issue 4's targets).
//   npx node bench/pipeline.ts [--db=pglite,postgres] [--n=100] [--g=500] [--makespan-g=2000]
//                              [--backends=4] [--clips=50] [--only=overhead,makespan,composition] [--slowest=3]
//                              [--dump=file.json] (the serial run's segments, for bench/diagnostics/slow-segments.ts)
//                              (overhead includes the pipelined run; `serial` and `pipelined` run one alone)
//   BENCH_COPY_RUNS=15           turns of each stream-copy contender (the median is reported)
//
// The stack runs in this process with the server's Node flags (server-flags.ts: it re-runs itself
// with those of package.json's start script). For each database:
//  - orchestration overhead per segment: N segments on one backend, one at a time. A segment is
//    runnable when it was queued and the previous one finished; its overhead is the wall time from
//    then until its `completed` event reaches an SSE client of /api/events, minus the generation
//    time G (also shown minus the backend's own measured execution time); then the same with the
//    default 4 workers, where the next prompt waits on the backend: completion to completion − G;
//  - makespan: N segments on 4 backends (8 jobs at a time, so each backend always has the next
//    prompt waiting) from the render request to the last `completed` event, against N·G/4;
//  - event latency: from the simulator's `execution_success` timestamp to the segment's
//    `completed` event arriving at the SSE client, a process of its own as a browser is (same
//    machine clock; the simulator stamps whole ms).
// Then, independent of the database: composing 50 clips by stream copy and by re-encoding, and
// stream copy against `cp` of the same bytes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RenderJob, Segment } from '@framesmith/core';
import { generationAttempts } from '@framesmith/db';
import type { TestDbKind } from '@framesmith/db/testing';
import { inArray } from 'drizzle-orm';
import { composeClips } from '../packages/pipeline/src/composer.ts';
import { concatMp4 } from '../packages/pipeline/src/mp4-concat.ts';
import { concatList, streamCopyArgs } from '../packages/pipeline/src/ffmpeg-args.ts';
import { runFfmpeg } from '../packages/pipeline/src/ffmpeg.ts';
import { ms, now, percentile, type Stack, startSims, startStack } from './pipeline-stack.ts';
import { rerunWithServerFlags } from './server-flags.ts';

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const DBS = arg('db', 'pglite,postgres').split(',') as TestDbKind[];
const N = Number(arg('n', '100'));
const G = Number(arg('g', '500'));
const MAKESPAN_G = Number(arg('makespan-g', '2000'));
const BACKENDS = Number(arg('backends', '4'));
const CLIPS = Number(arg('clips', '50'));
// `composition` includes the re-encode (~40 s); `copy` is the stream-copy half alone.
const ONLY = arg('only', 'overhead,makespan,composition').split(',');
const SLOWEST = Number(arg('slowest', '3'));
// The serial run's segments, one row each, for bench/diagnostics/slow-segments.ts.
const DUMP = arg('dump', '');
const PARAMS = { width: 64, height: 64, frames: 6, fps: 12 };

const lines: string[] = [];
const report = (s: string) => {
  lines.push(s);
  console.log(s);
};

async function renderProject(
  stack: Stack,
  n: number,
  label: string,
): Promise<{ job: RenderJob; segments: Segment[]; postedAt: number }> {
  const project = await stack.post<{ id: string }>('/api/projects', { name: label });
  const segments: Segment[] = [];
  for (let i = 0; i < n; i++) {
    segments.push(
      await stack.post<Segment>(`/api/projects/${project.id}/segments`, {
        prompt: `${label} ${i}`,
        params: PARAMS,
      }),
    );
  }
  const postedAt = now();
  const job = await stack.post<RenderJob>(`/api/projects/${project.id}/render`);
  return { job, segments, postedAt };
}

/** A first small render, so that caches (/object_info, built-in workflows) are as in steady state. */
async function warmUp(stack: Stack, n: number) {
  const warm = await renderProject(stack, n, 'warm-up');
  await completedEvents(
    stack,
    warm.segments.map((s) => s.id),
  );
}

async function completedEvents(stack: Stack, ids: string[]) {
  const at = new Map<string, number>();
  await Promise.all(
    ids.map(async (id) => {
      const e = await stack.nextEvent(
        (x) => x.event === 'segment' && x.data.id === id && x.data.status === 'completed',
      );
      at.set(id, e.at);
    }),
  );
  return at;
}

async function attemptsOf(stack: Stack, ids: string[]) {
  return stack.database.db
    .select()
    .from(generationAttempts)
    .where(inArray(generationAttempts.segmentId, ids));
}

/** The simulator's execution_start and execution_success timestamps of a prompt. */
async function stamps(simUrl: string, promptId: string): Promise<{ start: number; success: number }> {
  const history = (await (await fetch(`${simUrl}/history/${promptId}`)).json()) as Record<
    string,
    { status?: { messages?: [string, { timestamp?: number }][] } }
  >;
  const at = (event: string) =>
    Number(history[promptId]?.status?.messages?.find(([e]) => e === event)?.[1]?.timestamp);
  return { start: at('execution_start'), success: at('execution_success') };
}

async function overhead(kind: TestDbKind) {
  const sims = await startSims(1, G);
  const stack = await startStack(kind, sims.urls, { WORKER_CONCURRENCY: '1' });
  try {
    await warmUp(stack, 3);
    const { segments, postedAt } = await renderProject(stack, N, 'overhead');
    const ids = segments.map((s) => s.id);
    const done = await completedEvents(stack, ids);
    const queuedAt = new Map<string, number>();
    for (const e of stack.events) {
      if (e.event === 'segment' && e.data.status === 'queued' && !queuedAt.has(e.data.id))
        queuedAt.set(e.data.id, e.at);
    }
    const attempts = new Map((await attemptsOf(stack, ids)).map((a) => [a.segmentId, a]));
    const order = [...ids].sort((a, b) => done.get(a)! - done.get(b)!);
    const vsG: number[] = [];
    const vsExec: number[] = [];
    const latency: number[] = [];
    let previous = postedAt;
    for (const id of order) {
      const runnable = Math.max(queuedAt.get(id) ?? postedAt, previous);
      const wall = done.get(id)! - runnable;
      vsG.push(wall - G);
      vsExec.push(wall - (attempts.get(id)?.executionMs ?? G));
      latency.push(done.get(id)! - (await stamps(sims.urls[0]!, attempts.get(id)!.promptId!)).success);
      previous = done.get(id)!;
    }
    report(
      `[${kind}] overhead per segment (wall − G, G = ${G} ms, ${N} segments, 1 backend): ` +
        `p50 ${ms(percentile(vsG, 50))}, p99 ${ms(percentile(vsG, 99))} (target p99 < 50 ms); ` +
        `wall − measured execution: p50 ${ms(percentile(vsExec, 50))}, p99 ${ms(percentile(vsExec, 99))}`,
    );
    report(
      `[${kind}] execution_success → SSE client: p50 ${ms(percentile(latency, 50))}, p99 ${ms(percentile(latency, 99))}, ` +
        `max ${ms(Math.max(...latency))} (target p99 < 50 ms)`,
    );
    const logs = order.map((id) => stack.generated.get(id)).filter((l): l is NonNullable<typeof l> => !!l);
    const part = (label: string, values: number[]) =>
      `${label} p50 ${ms(percentile(values, 50))} / p99 ${ms(percentile(values, 99))}`;
    const parts = (rows: [string, (l: (typeof logs)[number]) => number][]) =>
      rows.map(([label, value]) => part(label, logs.map(value))).join(', ');
    // From one segment's completion to the worker taking the next job: its render job's accounting,
    // the queue completing the job and fetching the next.
    const handoff = logs.slice(1).map((l, i) => l.takenAt - logs[i]!.completedAt);
    report(
      `[${kind}]   where it goes — ours: ${part('handoff', handoff)}, ${parts([
        ['claim→run', (l) => l.toRunMs],
        ['store', (l) => l.afterFinishMs.store],
        ['complete', (l) => l.afterFinishMs.complete],
        ['complete→SSE client', (l) => done.get(l.segmentId)! - l.completedAt],
      ])}; ComfyUI client: ${parts([
        ['queue', (l) => l.queueMs],
        // Negative when the fetch began on `executed`, before the finished history entry was in hand.
        ['finish known → output fetched', (l) => l.afterFinishMs.fetch],
        ['fetched → checked (ffprobe)', (l) => l.afterFinishMs.check],
      ])}`,
    );
    if (DUMP) {
      const rows = order.map((id, i) => ({
        index: i,
        overheadMs: vsG[i],
        sseAt: done.get(id),
        ...stack.generated.get(id),
      }));
      writeFileSync(DUMP, JSON.stringify({ db: kind, timeOrigin: performance.timeOrigin, segments: rows }));
    }
    // The tail is what the target is about: where the slowest segments spent their time.
    const slowest = [...vsG.keys()].sort((a, b) => vsG[b]! - vsG[a]!).slice(0, SLOWEST);
    for (const i of slowest) {
      const id = order[i]!;
      const l = stack.generated.get(id);
      const prev = i > 0 ? stack.generated.get(order[i - 1]!) : undefined;
      if (!l) continue;
      report(
        `[${kind}]   slow segment #${i}: overhead ${ms(vsG[i]!)} = handoff ${prev ? ms(l.takenAt - prev.completedAt) : '-'}, ` +
          `claim→run ${ms(l.toRunMs)}, queue ${ms(l.queueMs)}, execution − G ${ms(l.executionMs - G)}, ` +
          `fetch ${ms(l.afterFinishMs.fetch)}, check ${ms(l.afterFinishMs.check)}, store ${ms(l.afterFinishMs.store)}, ` +
          `complete ${ms(l.afterFinishMs.complete)}, →SSE ${ms(done.get(id)! - l.completedAt)}`,
      );
    }
  } finally {
    await stack.close();
    await sims.stop();
  }
}

/**
 * The same segments with the product's default concurrency (4 workers; the pool keeps two prompts
 * on a backend, one running and one waiting in its queue): what each segment adds to a run in
 * throughput terms. Per segment after the first: the time between two completions minus G, and
 * the backend's idle time between two prompts (simulator timestamps).
 */
async function pipelinedOverhead(kind: TestDbKind) {
  const sims = await startSims(1, G);
  const stack = await startStack(kind, sims.urls, {});
  try {
    await warmUp(stack, 3);
    const { segments } = await renderProject(stack, N, 'pipelined');
    const ids = segments.map((s) => s.id);
    const done = await completedEvents(stack, ids);
    const order = [...ids].sort((a, b) => done.get(a)! - done.get(b)!);
    const attempts = new Map((await attemptsOf(stack, ids)).map((a) => [a.segmentId, a]));
    const runs = await Promise.all(order.map((id) => stamps(sims.urls[0]!, attempts.get(id)!.promptId!)));
    const gaps = order.slice(1).map((id, i) => done.get(id)! - done.get(order[i]!)! - G);
    const idle = runs.slice(1).map((r, i) => r.start - runs[i]!.success);
    report(
      `[${kind}] with the default 4 workers (two prompts at a time on the backend): completion to completion − G ` +
        `p50 ${ms(percentile(gaps, 50))}, p99 ${ms(percentile(gaps, 99))}; ` +
        `backend idle between prompts p50 ${ms(percentile(idle, 50))}, p99 ${ms(percentile(idle, 99))}`,
    );
  } finally {
    await stack.close();
    await sims.stop();
  }
}

async function makespan(kind: TestDbKind) {
  const sims = await startSims(BACKENDS, MAKESPAN_G);
  const stack = await startStack(kind, sims.urls, { WORKER_CONCURRENCY: String(BACKENDS * 2) });
  try {
    await warmUp(stack, BACKENDS);
    const { job, segments, postedAt } = await renderProject(stack, N, 'makespan');
    const done = await completedEvents(
      stack,
      segments.map((s) => s.id),
    );
    const last = Math.max(...done.values());
    const final = await stack.nextEvent(
      (e) => e.event === 'render-job' && e.data.id === job.id && e.data.status === 'completed',
    );
    const ideal = (N * MAKESPAN_G) / BACKENDS;
    const span = last - postedAt;
    const attempts = await attemptsOf(
      stack,
      segments.map((s) => s.id),
    );
    const perBackend = new Map<string, { start: number; end: number }[]>();
    for (const a of attempts) {
      const url = sims.urls[Number(a.backend?.split('-').at(-1)) - 1]!;
      const { start, success } = await stamps(url, a.promptId!);
      const list = perBackend.get(a.backend ?? '?') ?? [];
      list.push({ start, end: success });
      perBackend.set(a.backend ?? '?', list);
    }
    let idle = 0;
    let busiest = 0;
    let executions = 0;
    for (const runs of perBackend.values()) {
      runs.sort((x, y) => x.start - y.start);
      for (let i = 1; i < runs.length; i++) idle += Math.max(0, runs[i]!.start - runs[i - 1]!.end);
      busiest = Math.max(
        busiest,
        runs.reduce((sum, r) => sum + (r.end - r.start), 0),
      );
      executions += runs.length;
    }
    report(
      `[${kind}] makespan of ${N} segments on ${BACKENDS} backends (G = ${MAKESPAN_G} ms): ${(span / 1000).toFixed(2)} s ` +
        `vs ideal ${(ideal / 1000).toFixed(2)} s (+${(((span - ideal) / ideal) * 100).toFixed(2)} %, target ≤ 3 %); ` +
        `with composition of the final video ${((final.at - postedAt) / 1000).toFixed(2)} s; ` +
        `per backend ${[...perBackend.values()].map((r) => r.length).join('/')}`,
    );
    report(
      `[${kind}]   backends idle between prompts ${ms(idle / Math.max(1, executions - perBackend.size))} on average; ` +
        `the busiest executed for ${(busiest / 1000).toFixed(2)} s ` +
        `(${ms(busiest / (executions / perBackend.size))} a prompt in the simulator vs G ${MAKESPAN_G} ms)`,
    );
  } finally {
    await stack.close();
    await sims.stop();
  }
}

function median(xs: number[]) {
  return percentile(xs, 50);
}

async function composition(withReencode: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'framesmith-bench-clips-'));
  try {
    const clipDir = join(dir, 'clips');
    execFileSync('mkdir', ['-p', clipDir]);
    // Clips like a GPU makes: 832×480, 16 fps, 5 s (Wan 2.1's 81 frames), H.264 at ~3 Mbit/s
    // (noise keeps the encoder from compressing a test pattern to nothing).
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=832x480:rate=16:duration=5',
      '-vf',
      'noise=alls=25:allf=t',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-b:v',
      '3M',
      '-pix_fmt',
      'yuv420p',
      join(dir, 'base.mp4'),
    ]);
    const paths: string[] = [];
    for (let i = 0; i < CLIPS; i++) {
      const p = join(clipDir, `clip-${String(i).padStart(3, '0')}.mp4`);
      execFileSync('cp', [join(dir, 'base.mp4'), p]);
      paths.push(p);
    }
    const bytes = readdirSync(clipDir).reduce((s, f) => s + statSync(join(clipDir, f)).size, 0);
    // Each contender's median of this many turns (15: on this shared machine one run in five or so is
    // an outlier of several times the usual, and 7 turns let two of them move the median).
    const runs = Number(process.env.BENCH_COPY_RUNS ?? 15);
    const out = join(dir, 'out.mp4');
    const list = join(dir, 'list.txt');
    execFileSync('sh', ['-c', `cat > ${list} <<'L'\n${concatList(paths)}L`]);
    // Each contender writes its own output. Runs take turns, and each starts from the same
    // state: the previous output removed and the disk's write-back done (sync), untimed, so
    // that neither deleting 150 MB nor flushing the last run's writes is counted.
    const contenders: Record<string, { output: string; run: () => unknown }> = {
      cp: { output: join(dir, 'cp-out'), run: () => spawnSync('cp', ['-r', clipDir, join(dir, 'cp-out')]) },
      cat: {
        output: join(dir, 'cat.bin'),
        run: () => spawnSync('sh', ['-c', `cat ${clipDir}/*.mp4 > ${join(dir, 'cat.bin')}`]),
      },
      compose: {
        output: out,
        run: () => composeClips({ clipPaths: paths, format: {}, crossfadeSeconds: 0, outPath: out }),
      },
      join: { output: join(dir, 'join-only.mp4'), run: () => concatMp4(paths, join(dir, 'join-only.mp4')) },
      ffmpegConcat: {
        output: join(dir, 'concat-only.mp4'),
        run: () => runFfmpeg(streamCopyArgs(list, join(dir, 'concat-only.mp4'))),
      },
    };
    const times = new Map<string, number[]>(Object.keys(contenders).map((k) => [k, []]));
    const names = Object.keys(contenders);
    for (let r = 0; r < runs; r++) {
      // The order turns each run, so that none always follows the same neighbour.
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length]!;
        const c = contenders[name]!;
        rmSync(c.output, { recursive: true, force: true });
        spawnSync('sync');
        await new Promise((resolve) => setTimeout(resolve, 200));
        const t0 = now();
        await c.run();
        times.get(name)!.push(now() - t0);
      }
    }
    const [cp, cat, copy, joinOnly, ffmpegConcat] = ['cp', 'cat', 'compose', 'join', 'ffmpegConcat'].map(
      (k) => median(times.get(k)!),
    ) as [number, number, number, number, number];
    let reencoded = 're-encode not run (--only=copy)';
    if (withReencode) {
      const reencodeT0 = now();
      const re = await composeClips({
        clipPaths: paths,
        format: { width: 832, height: 480, fps: 16 },
        crossfadeSeconds: 0.5,
        outPath: join(dir, 'reencoded.mp4'),
      });
      reencoded = `re-encode with 0.5 s crossfades ${((now() - reencodeT0) / 1000).toFixed(1)} s (${re.durationSeconds.toFixed(1)} s of video)`;
    }
    report(
      `composition of ${CLIPS} clips (832×480, 16 fps, 5 s; ${(bytes / 1e6).toFixed(1)} MB): ` +
        `stream copy ${ms(copy)} (read each clip's header, join, check the result's header with ffprobe; median of ${runs}), ` +
        `of which the join ${ms(joinOnly)} (ffmpeg's concat demuxer on the same clips: ${ms(ffmpegConcat)}); ` +
        `${reencoded}; ` +
        `cp of the same bytes ${ms(cp)} (cat into one file ${ms(cat)}): stream copy runs at ${((cp / copy) * 100).toFixed(0)} % of cp's speed ` +
        `(the join alone ${((cp / joinOnly) * 100).toFixed(0)} %; target ≥ 80 %)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

rerunWithServerFlags();
report(
  `pipeline benchmark — ${new Date().toISOString()}, ${availableParallelism()} cores, load ${loadavg()[0]!.toFixed(2)}`,
);
for (const kind of DBS) {
  if (ONLY.includes('overhead') || ONLY.includes('serial')) await overhead(kind);
  if (ONLY.includes('overhead') || ONLY.includes('pipelined')) await pipelinedOverhead(kind);
  if (ONLY.includes('makespan')) await makespan(kind);
}
if (ONLY.includes('composition') || ONLY.includes('copy')) await composition(ONLY.includes('composition'));
console.log(`\n${lines.join('\n')}`);
process.exit(0);
