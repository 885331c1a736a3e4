import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import type { RenderJob, Segment } from '@framesmith/core';
import { generationAttempts, renderJobs, segments } from '@framesmith/db';
import { listAttempts } from '@framesmith/db/queries/attempts';
import { type Harness, isFinal, startHarness } from '../support/harness.ts';

/**
 * The reaper repairs what a crash between a database write and a queue send leaves behind.
 * Each case builds that state directly, then runs one sweep.
 */
let h: Harness;
before(async () => {
  // Only the sweeps the tests ask for: a timed one could repair a case between its set-up and
  // the test's own sweep, whose report would then count nothing (seen once under a loaded CI).
  h = await startHarness({ backends: 1, pipeline: { reaper: { intervalMs: 3_600_000, graceMs: 3000 } } });
});
after(async () => {
  await h?.close();
});

const backdate = sql`now() - interval '1 hour'`;

async function renderedProject(prompts: string[]) {
  const projectId = await h.project();
  const segs: Segment[] = [];
  for (const p of prompts) segs.push(await h.segment(projectId, p));
  const job = (await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`)).body;
  assert.equal((await h.waitForJob(job.id, isFinal)).status, 'completed');
  // Queue jobs settle just after the state they produced: wait until none is left running.
  await h.until(async () => {
    const live = await h.pipeline.queue.liveKeys(
      'segment-generate',
      segs.map((s) => s.id),
    );
    return live.size === 0 && (await h.pipeline.queue.liveKeys('render-compose', [job.id])).size === 0;
  });
  return { projectId, segs, job };
}

test('a queued segment whose queue job was never sent gets one, and its render completes', async () => {
  const { segs, job } = await renderedProject(['lost job']);
  const { db } = h.database;
  // As if a render committed but the process died before sending the job.
  await db
    .update(renderJobs)
    .set({ status: 'generating', finishedAt: null, outputAssetId: null })
    .where(eq(renderJobs.id, job.id));
  await db
    .update(segments)
    .set({ status: 'queued', attempt: 0, outputAssetId: null, contentHash: null, updatedAt: backdate })
    .where(eq(segments.id, segs[0]!.id));
  const report = await h.pipeline.reaper!.sweep();
  assert.equal(report.requeued, 1);
  assert.equal((await h.waitForJob(job.id, isFinal)).status, 'completed');
});

test('a generating segment whose job the queue gave up on fails with INTERNAL_ERROR, and the render ends failed', async () => {
  const { segs, job } = await renderedProject(['dead worker']);
  const { db } = h.database;
  const id = segs[0]!.id;
  const promptId = '00000000-0000-5000-8000-00000000dead';
  await db
    .update(renderJobs)
    .set({ status: 'generating', finishedAt: null })
    .where(eq(renderJobs.id, job.id));
  await db.insert(generationAttempts).values({
    segmentId: id,
    projectId: segs[0]!.projectId,
    renderJobId: job.id,
    attempt: 99,
    promptId,
    outcome: 'running',
  });
  await db
    .update(segments)
    .set({ status: 'generating', attempt: 1, promptId, updatedAt: backdate })
    .where(eq(segments.id, id));
  const report = await h.pipeline.reaper!.sweep();
  assert.equal(report.failed, 1);
  const seg = (await h.api<Segment>('GET', `/api/segments/${id}`)).body;
  assert.equal(seg.status, 'failed');
  assert.equal(seg.error?.code, 'INTERNAL_ERROR');
  assert.equal((await listAttempts(db, id))[0]?.outcome, 'failed');
  assert.equal((await h.waitForJob(job.id, isFinal)).status, 'failed');
});

test('a compositing render without a composition job gets one', async () => {
  const { job } = await renderedProject(['compose me again']);
  const { db } = h.database;
  await db
    .update(renderJobs)
    .set({ status: 'compositing', finishedAt: null, outputAssetId: null, updatedAt: backdate })
    .where(eq(renderJobs.id, job.id));
  const report = await h.pipeline.reaper!.sweep();
  assert.equal(report.recomposed, 1);
  const done = await h.waitForJob(job.id, isFinal);
  assert.equal(done.status, 'completed');
  assert.ok(done.output);
});

test('dead letters are listed by the API', async () => {
  const res = await h.api<unknown[]>('GET', '/api/dead-letters');
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.body));
});
