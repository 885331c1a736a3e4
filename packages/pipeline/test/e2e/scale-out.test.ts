import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { RenderJob, Segment } from '@framesmith/core';
import { generationAttempts } from '@framesmith/db';
import { testDbKind } from '@framesmith/db/testing';
import { inArray } from 'drizzle-orm';
import { type Harness, isFinal, SMALL, startHarness } from '../support/harness.ts';

/**
 * Scale-out on PostgreSQL: an API process and two worker processes on one database share the
 * segments of a render, and no segment is generated twice. (PGlite is one process by design.)
 */
let h: Harness | undefined;
after(async () => {
  await h?.close();
});

test('two worker processes share the work and no segment is generated twice', {
  skip: testDbKind() !== 'postgres',
}, async () => {
  h = await startHarness({ role: 'api', backends: 2, generationMs: 400, env: { WORKER_CONCURRENCY: '2' } });
  const workers = [await h.spawnWorker(), await h.spawnWorker()];
  const projectId = await h.project();
  const segments: Segment[] = [];
  for (let i = 0; i < 8; i++) segments.push(await h.segment(projectId, `segment ${i}`, SMALL));
  const started = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal(started.status, 202);
  const job = await h.waitForJob(started.body.id, isFinal, 120_000);
  assert.equal(job.status, 'completed', JSON.stringify(job));

  const ids = segments.map((s) => s.id);
  const attempts = await h.database.db
    .select()
    .from(generationAttempts)
    .where(inArray(generationAttempts.segmentId, ids));
  assert.equal(attempts.length, 8, 'one attempt per segment');
  assert.deepEqual(new Set(attempts.map((a) => a.segmentId)).size, 8);
  assert.equal(
    h.sims.reduce((n, s) => n + s.stats().submitted, 0),
    8,
    'each segment was submitted to ComfyUI exactly once',
  );
  const byWorker = workers.map((w) => w.generated.length);
  assert.equal(byWorker[0]! + byWorker[1]!, 8);
  assert.ok(byWorker[0]! > 0 && byWorker[1]! > 0, `both workers generated segments: ${byWorker.join(' + ')}`);
});
