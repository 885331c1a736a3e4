// What ran on the server's thread while the slowest segments of a serial benchmark run waited:
// pg-boss's own statements (not a job's fetch or completion) from a PGlite trace, and the garbage
// collector's pauses from a --trace-gc log. Each segment's overhead windows are from the previous
// segment's completion to its prompt being handed to ComfyUI, and from the backend finishing to
// its `completed` event reaching the SSE client.
//   PGLITE_TRACE=.tmp/pglite.json npx node --trace-gc --import ./bench/diagnostics/pglite-trace.ts \
//     bench/pipeline.ts --only=serial --db=pglite --dump=.tmp/segments.json > .tmp/gc.log
//   npx node bench/diagnostics/slow-segments.ts .tmp/segments.json [.tmp/pglite.json] [.tmp/gc.log] [--top=8]
import { existsSync, readFileSync } from 'node:fs';

interface Row {
  index: number;
  overheadMs: number;
  sseAt: number;
  takenAt: number;
  toRunMs: number;
  completedAt: number;
  afterFinishMs: { fetch: number; check: number; store: number; complete: number };
}
type Window = [from: number, to: number];

const [dumpPath, tracePath, gcPath] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.split('=')[1] ?? 8);
if (!dumpPath) throw new Error('usage: slow-segments.ts segments.json [pglite.json] [gc.log] [--top=8]');
const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as { timeOrigin: number; segments: Row[] };

/** Statements (a Parse or Query message and those after it), with when they ran. */
function statements(path: string | undefined) {
  if (!path || !existsSync(path)) return [];
  const out: { at: number; end: number; ms: number; sql: string }[] = [];
  for (const [at, ms, type, sql] of JSON.parse(readFileSync(path, 'utf8')) as [
    number,
    number,
    string,
    string,
  ][]) {
    const last = out.at(-1);
    if (type === 'P' || type === 'Q' || !last) out.push({ at, end: at + ms, ms, sql });
    else {
      last.ms += ms;
      last.end = at + ms;
    }
  }
  // The queue's housekeeping: its statements other than a job's fetch and completion.
  return out.filter((s) => s.sql.includes('pgboss') && !/WITH (next|results) AS/.test(s.sql));
}

/** Collector pauses from a --trace-gc log (milliseconds since the process started). */
function pauses(path: string | undefined) {
  if (!path || !existsSync(path)) return [];
  const line =
    /\]\s+(\d+) ms: (Scavenge|Mark-Compact)[^,]*?MB, (?:pooled: \d+ MB, )?([\d.]+) \/ [\d.]+ ms(?:.*?biggest step ([\d.]+) ms)?/;
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => line.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({
      at: dump.timeOrigin + Number(m[1]),
      kind: m[2]!,
      ms: Number(m[3]),
      step: Number(m[4] ?? 0),
    }));
}

const housekeeping = statements(tracePath);
const collections = pauses(gcPath);
const rows = dump.segments;
const inWindows = (at: number, end: number, windows: Window[]) => windows.some(([a, b]) => end > a && at < b);
const slowest = rows
  .slice(1)
  .sort((a, b) => b.overheadMs - a.overheadMs)
  .slice(0, top);
console.log(`${dump.segments.length} segments; the ${top} slowest:`);
for (const s of slowest) {
  const previous = rows[s.index - 1]!;
  const f = s.afterFinishMs;
  const finished = s.completedAt - f.complete - f.store - f.check - f.fetch;
  const windows: Window[] = [
    [previous.completedAt, s.takenAt + s.toRunMs],
    [finished, s.sseAt],
  ];
  const queue = housekeeping.filter((q) => inWindows(q.at, q.end, windows));
  const gc = collections.filter((g) => inWindows(g.at, g.at + g.ms, windows) && (g.ms >= 1 || g.step >= 1));
  const queueMs = queue.reduce((n, q) => n + q.ms, 0);
  console.log(
    `  #${s.index} overhead ${s.overheadMs.toFixed(1)} ms — queue housekeeping: ${queue.length} statements, ${queueMs.toFixed(1)} ms; ` +
      `collector: ${gc.map((g) => `${g.kind} ${g.ms} ms${g.step ? ` (step ${g.step} ms)` : ''}`).join(', ') || 'none'}`,
  );
}
