import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import { createProject, createSegment, renderJobs, segments } from '@framesmith/db';
import {
  findRenderJobWithTally,
  renderJobResource,
  renderSegmentStates,
  renderSegmentTally,
  tallyOf,
} from '@framesmith/db/queries/render-jobs';
import { openTestDb, testDbKind } from '@framesmith/db/testing';

test(`a render's segments counted in one query give the counts and progress its rows give (${testDbKind()})`, async () => {
  const database = await openTestDb();
  const { db } = database;
  try {
    const project = await createProject(db, { name: 'tallies' });
    const set = [
      { status: 'completed', progress: 1 },
      { status: 'completed', progress: 1 },
      { status: 'generating', progress: 0.25 },
      { status: 'generating', progress: 0.5 },
      { status: 'queued', progress: 0 },
      { status: 'failed', progress: 0 },
    ] as const;
    const ids: string[] = [];
    for (const [i, s] of set.entries()) {
      const segment = await createSegment(db, project.id, { prompt: `shot ${i}` });
      await db.update(segments).set(s).where(eq(segments.id, segment.id));
      ids.push(segment.id);
    }
    // Not part of the render: neither counted.
    await createSegment(db, project.id, { prompt: 'outside the render' });
    const [job] = await db
      .insert(renderJobs)
      .values({ projectId: project.id, status: 'generating', segmentIds: [...ids, randomUUID()] })
      .returning();

    const byStatus = (t: { status: string; count: number; progress: number }[]) =>
      Object.fromEntries(t.map((x) => [x.status, [x.count, Math.round(x.progress * 1000) / 1000]]));
    const tally = await renderSegmentTally(db, job!.id);
    assert.deepEqual(byStatus(tally), {
      completed: [2, 2],
      generating: [2, 0.75],
      queued: [1, 0],
      failed: [1, 0],
    });
    assert.deepEqual(byStatus(tally), byStatus(tallyOf(await renderSegmentStates(db, job!.segmentIds))));
    // The job read with its tally in one statement: the same row, the same counts.
    const withTally = await findRenderJobWithTally(db, job!.id);
    assert.deepEqual(withTally?.job, job);
    assert.deepEqual(byStatus(withTally!.tally), byStatus(tally));
    assert.equal(await findRenderJobWithTally(db, randomUUID()), null);

    const view = await renderJobResource(db, job!);
    assert.deepEqual(view.counts, {
      pending: 0,
      queued: 1,
      generating: 2,
      completed: 2,
      failed: 1,
      cancelled: 0,
      total: 6,
    });
    // Generation fills 90 %: two done and three quarters of one, of six.
    assert.equal(Math.round(view.progress * 1e6) / 1e6, Math.round(((0.9 * 2.75) / 6) * 1e6) / 1e6);
  } finally {
    await database.destroy();
  }
});
