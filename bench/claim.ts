// Claim benchmark: a segment worker's read and claim of a queued segment, the one-statement claim
// (the segment as read, checked by its row version) against the locked transaction it falls back
// to, alternating, on PGlite and on PostgreSQL.
//
//   npx node bench/claim.ts [--n=400] [--db=pglite,postgres]
import { randomUUID } from 'node:crypto';
import { createProject, createSegment, findProjectRow, findSegmentRow, segments } from '@framesmith/db';
import { claimSegment, readSegmentForClaim } from '@framesmith/db/queries/attempts';
import { openTestDb, type TestDbKind } from '@framesmith/db/testing';

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const N = Number(arg('n', '400'));
const DBS = arg('db', 'pglite,postgres').split(',') as TestDbKind[];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

for (const kind of DBS) {
  const database = await openTestDb(kind);
  const { db } = database;
  try {
    const project = await createProject(db, { name: 'claims' });
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await createSegment(db, project.id, { prompt: `shot ${i}` })).id);
    await db.update(segments).set({ status: 'queued' });
    const times = { statement: [] as number[], transaction: [] as number[] };
    for (const [i, id] of ids.entries()) {
      const common = { segmentId: id, jobId: randomUUID(), promptIdFor: (n: number) => `${id}-${n}` };
      const t0 = performance.now();
      if (i % 2 === 0) {
        // What the worker does: one read (segment, row version, last attempt, settings), one statement.
        const seen = await readSegmentForClaim(db, id);
        const claim = await claimSegment(db, { ...common, backendFor: () => 'gpu-1', seen: seen! });
        if (claim.kind !== 'fresh') throw new Error('not claimed');
        times.statement.push(performance.now() - t0);
      } else {
        // Before: the segment and its project read apart, then the locked transaction.
        const seen = await findSegmentRow(db, id);
        await findProjectRow(db, seen!.projectId);
        const claim = await claimSegment(db, { ...common, backendFor: () => 'gpu-1' });
        if (claim.kind !== 'fresh') throw new Error('not claimed');
        times.transaction.push(performance.now() - t0);
      }
    }
    const [a, b] = [median(times.statement), median(times.transaction)];
    console.log(
      `[${kind}] read + claim, median of ${N / 2} each: one statement ${a.toFixed(2)} ms, ` +
        `locked transaction ${b.toFixed(2)} ms (${((a / b) * 100).toFixed(0)} %)`,
    );
  } finally {
    await database.destroy();
  }
}
