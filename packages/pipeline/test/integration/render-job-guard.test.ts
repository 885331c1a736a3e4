import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { createProject, createSegment, segments } from '@framesmith/db';
import { insertAsset } from '@framesmith/db/queries/assets';
import { insertRenderJob, moveRenderJob, queueSegments } from '@framesmith/db/queries/render-jobs';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';

let database: TestDatabase;
before(async () => {
  database = await openTestDb();
});
after(async () => {
  await database?.destroy();
});

test('a render job does not end (failed, compositing, cancelled) while a retry has queued one of its segments', async () => {
  const { db } = database;
  const project = await createProject(db, { name: 'guard' });
  const a = await createSegment(db, project.id, { prompt: 'a' });
  const b = await createSegment(db, project.id, { prompt: 'b' });
  const job = (await insertRenderJob(db, {
    projectId: project.id,
    segmentIds: [a.id, b.id],
    settings: {},
    status: 'generating',
  }))!;
  // Accounting read "a failed, b completed" and decided to fail the job; meanwhile a retry queued a.
  await db.update(segments).set({ status: 'completed' }).where(eq(segments.id, b.id));
  await db.update(segments).set({ status: 'failed' }).where(eq(segments.id, a.id));
  await queueSegments(db, [a.id], ['failed'], { renderJobId: job.id, maxAttempts: 3 });

  for (const to of ['failed', 'compositing', 'cancelled'] as const) {
    assert.equal(await moveRenderJob(db, job.id, ['generating'], to, {}, { settled: true }), null, to);
  }
  await db.update(segments).set({ status: 'failed' }).where(eq(segments.id, a.id));
  const failed = await moveRenderJob(db, job.id, ['generating'], 'failed', {}, { settled: true });
  assert.equal(failed?.status, 'failed');
});

test('a composed render completes only while every clip is still the one that was joined', async () => {
  const { db } = database;
  const project = await createProject(db, { name: 'clips' });
  const a = await createSegment(db, project.id, { prompt: 'a' });
  const asset = await insertAsset(db, {
    projectId: project.id,
    kind: 'clip',
    storageKey: 'clips/a.mp4',
    contentType: 'video/mp4',
    sizeBytes: 1,
  });
  await db
    .update(segments)
    .set({ status: 'completed', outputAssetId: asset.id })
    .where(eq(segments.id, a.id));
  const job = (await insertRenderJob(db, {
    projectId: project.id,
    segmentIds: [a.id],
    settings: {},
    status: 'compositing',
  }))!;
  const clips = { [a.id]: asset.id };
  // Edited while ffmpeg ran: back to pending, its clip no longer current.
  await db.update(segments).set({ status: 'pending', outputAssetId: null }).where(eq(segments.id, a.id));
  assert.equal(await moveRenderJob(db, job.id, ['compositing'], 'completed', {}, { clips }), null);
  await db
    .update(segments)
    .set({ status: 'completed', outputAssetId: asset.id })
    .where(eq(segments.id, a.id));
  const done = await moveRenderJob(db, job.id, ['compositing'], 'completed', {}, { clips });
  assert.equal(done?.status, 'completed');
});
