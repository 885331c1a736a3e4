import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import type { RenderJob } from '@framesmith/core';
import { assets, segments } from '@framesmith/db';
import { listAttempts } from '@framesmith/db/queries/attempts';
import { testDbKind } from '@framesmith/db/testing';
import { type Harness, isFinal, startHarness } from '../support/harness.ts';

/**
 * A worker that dies mid-generation (SIGKILL on PostgreSQL; on PGlite, where one process owns
 * the database, the database is dropped under the running pipeline and reopened): its job's
 * heartbeat stops, the queue hands the job out again, and the re-run reconciles with ComfyUI by
 * the same prompt id instead of submitting twice.
 */
let h: Harness | undefined;
after(async () => {
  await h?.close();
});

test('a worker killed mid-generation: the segment completes with exactly one clip, nothing stays generating', async () => {
  const postgres = testDbKind() === 'postgres';
  // Two backends, and a generation that outlasts the recovery: the re-run must go back to the
  // backend that is running the prompt, not to the idle one.
  h = await startHarness({
    role: postgres ? 'api' : 'all',
    persistentPglite: !postgres,
    generationMs: 20_000,
    backends: 2,
  });
  const worker = postgres ? await h.spawnWorker() : null;
  const projectId = await h.project();
  const segment = await h.segment(projectId, 'survives a crash');
  const started = await h.api<RenderJob>('POST', `/api/projects/${projectId}/render`);
  assert.equal(started.status, 202);
  await h.waitForSegment(segment.id, (s) => s.status === 'generating' && s.progress > 0);
  const submitted = () => h!.sims.reduce((n, s) => n + s.stats().submitted, 0);
  assert.equal(submitted(), 1);

  if (worker) {
    worker.child.kill('SIGKILL');
    await worker.exited;
    await h.startPipeline('worker');
  } else {
    await h.crashAndRestart();
  }

  const job = await h.waitForJob(started.body.id, isFinal, 120_000);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  const { db } = h.database;
  const attempts = await listAttempts(db, segment.id);
  assert.equal(attempts.length, 1, 'the re-run continued the same attempt');
  assert.equal(attempts[0]!.outcome, 'succeeded');
  assert.equal(submitted(), 1, 'the prompt was not submitted twice, on either backend');
  const clips = await db.select().from(assets).where(eq(assets.projectId, projectId));
  assert.equal(clips.filter((a) => a.kind === 'clip').length, 1, 'exactly one clip');
  const [{ n } = { n: -1 }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(segments)
    .where(eq(segments.status, 'generating'));
  assert.equal(n, 0, 'nothing is left generating');
});
