import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { assets, createProject, createSegment, generationAttempts, segments } from '@framesmith/db';
import {
  claimSegment,
  closeAttempt,
  completeSegment,
  readSegmentForClaim,
} from '@framesmith/db/queries/attempts';
import { openTestDb, testDbKind } from '@framesmith/db/testing';

test(`each claim of a segment numbers its attempt after the last one and records the leased backend (${testDbKind()})`, async () => {
  const database = await openTestDb();
  const { db } = database;
  try {
    const project = await createProject(db, { name: 'claims' });
    const segment = await createSegment(db, project.id, { prompt: 'a lighthouse at dusk' });
    // Another segment's attempts must not count towards this one's numbering.
    const other = await createSegment(db, project.id, { prompt: 'the same lighthouse at night' });
    await db.update(segments).set({ status: 'queued' }).where(eq(segments.id, other.id));
    await claimSegment(db, { segmentId: other.id, jobId: randomUUID(), promptIdFor: (n) => `other-${n}` });

    const seen: [number, string | null, string | null, string | null][] = [];
    for (const backend of ['gpu-1', null, 'gpu-2']) {
      await db.update(segments).set({ status: 'queued' }).where(eq(segments.id, segment.id));
      const claim = await claimSegment(db, {
        segmentId: segment.id,
        jobId: randomUUID(),
        promptIdFor: (n) => `prompt-${n}`,
        backendFor: () => backend,
      });
      assert.equal(claim.kind, 'fresh');
      if (claim.kind !== 'fresh') return;
      assert.equal(claim.segment.status, 'generating');
      seen.push([
        claim.attempt.attempt,
        claim.attempt.promptId,
        claim.attempt.backend,
        claim.segment.backend,
      ]);
      await closeAttempt(db, claim.attempt.id, 'failed', null);
    }
    assert.deepEqual(seen, [
      [1, 'prompt-1', 'gpu-1', 'gpu-1'],
      [2, 'prompt-2', null, null],
      [3, 'prompt-3', 'gpu-2', 'gpu-2'],
    ]);
    const rows = await db
      .select()
      .from(generationAttempts)
      .where(eq(generationAttempts.segmentId, segment.id));
    assert.equal(rows.length, 3);

    // A segment that is not queued is not taken.
    const skipped = await claimSegment(db, {
      segmentId: segment.id,
      jobId: randomUUID(),
      promptIdFor: (n) => `prompt-${n}`,
    });
    assert.equal(skipped.kind, 'skip');
  } finally {
    await database.destroy();
  }
});

test(`a segment unchanged since the worker read it is claimed without a transaction; a read gone stale is decided under the lock (${testDbKind()})`, async () => {
  const database = await openTestDb();
  const { db } = database;
  // The one-statement claim needs no transaction; the locked claim is one.
  let transactions = 0;
  const transaction = db.transaction.bind(db);
  db.transaction = ((...args: Parameters<typeof transaction>) => {
    transactions++;
    return transaction(...args);
  }) as typeof db.transaction;
  try {
    const project = await createProject(db, {
      name: 'read, then claim',
      settings: { crossfadeSeconds: 0.5 },
    });
    const segment = await createSegment(db, project.id, { prompt: 'a glacier calving' });
    const requeue = () => db.update(segments).set({ status: 'queued' }).where(eq(segments.id, segment.id));
    const claimAs = async (seen: Awaited<ReturnType<typeof readSegmentForClaim>>) => {
      const asRead = seen!.segment;
      return claimSegment(db, {
        segmentId: segment.id,
        jobId: randomUUID(),
        promptIdFor: (n) => `prompt-${n}`,
        // As the worker does: the backend leased for the row as read holds only for that row.
        backendFor: (row) => (row.prompt === asRead.prompt ? 'gpu-1' : null),
        seen: seen!,
      });
    };

    await requeue();
    transactions = 0; // creating the segment took one
    const read = await readSegmentForClaim(db, segment.id);
    assert.equal(read?.lastAttempt, 0);
    assert.deepEqual(read?.settings, { crossfadeSeconds: 0.5 });
    const first = await claimAs(read);
    assert.equal(transactions, 0);
    assert.equal(first.kind, 'fresh');
    if (first.kind !== 'fresh') return;
    assert.deepEqual(
      [first.segment.status, first.segment.attempt, first.segment.backend, first.segment.promptId],
      ['generating', 1, 'gpu-1', 'prompt-1'],
    );
    assert.deepEqual(
      [first.attempt.attempt, first.attempt.backend, first.attempt.promptId, first.attempt.outcome],
      [1, 'gpu-1', 'prompt-1', 'running'],
    );
    assert.equal(first.attempt.segmentId, segment.id);
    assert.equal(first.attempt.projectId, project.id);
    assert.ok(first.attempt.startedAt instanceof Date);
    assert.equal(first.attempt.finishedAt, null);
    await closeAttempt(db, first.attempt.id, 'failed', null);

    // Read, then edited while still queued: the claim sees the row as it is now.
    await requeue();
    const beforeEdit = await readSegmentForClaim(db, segment.id);
    await db.update(segments).set({ prompt: 'a glacier at night' }).where(eq(segments.id, segment.id));
    const edited = await claimAs(beforeEdit);
    assert.equal(transactions, 1);
    assert.equal(edited.kind, 'fresh');
    if (edited.kind !== 'fresh') return;
    assert.deepEqual([edited.attempt.attempt, edited.attempt.backend], [2, null]);
    assert.equal(edited.segment.prompt, 'a glacier at night');
    await closeAttempt(db, edited.attempt.id, 'failed', null);

    // Read, then claimed by another job and queued again: its attempt number is not reused.
    await requeue();
    const stale = await readSegmentForClaim(db, segment.id);
    const other = await claimAs(await readSegmentForClaim(db, segment.id));
    assert.equal(other.kind === 'fresh' && other.attempt.attempt, 3);
    await requeue();
    const late = await claimAs(stale);
    assert.equal(transactions, 2);
    assert.equal(late.kind === 'fresh' && late.attempt.attempt, 4);

    // A stale read of a segment no longer queued takes nothing.
    const taken = await claimAs(stale);
    assert.equal(taken.kind, 'skip');
    const rows = await db
      .select()
      .from(generationAttempts)
      .where(eq(generationAttempts.segmentId, segment.id));
    assert.deepEqual(rows.map((r) => r.attempt).sort(), [1, 2, 3, 4]);
  } finally {
    await database.destroy();
  }
});

test(`completing a generation stores the clip, completes the segment and closes its attempt together, or none of it once the segment moved on (${testDbKind()})`, async () => {
  const database = await openTestDb();
  const { db } = database;
  try {
    const project = await createProject(db, { name: 'completions' });
    const claimed = async (prompt: string) => {
      const segment = await createSegment(db, project.id, { prompt });
      await db.update(segments).set({ status: 'queued' }).where(eq(segments.id, segment.id));
      const claim = await claimSegment(db, {
        segmentId: segment.id,
        jobId: randomUUID(),
        promptIdFor: (n) => `${segment.id}-${n}`,
        backendFor: () => 'gpu-1',
      });
      assert.equal(claim.kind, 'fresh');
      return claim as Extract<typeof claim, { kind: 'fresh' }>;
    };
    const clip = (key: string) => ({
      projectId: project.id,
      kind: 'clip' as const,
      storageKey: key,
      contentType: 'video/mp4',
      sizeBytes: 1234,
      durationSeconds: 2.5,
      width: 832,
      height: 480,
    });
    const attemptOf = async (id: string) =>
      (await db.select().from(generationAttempts).where(eq(generationAttempts.id, id)))[0]!;

    const { segment, attempt } = await claimed('a harbour at dawn');
    const done = await completeSegment(db, {
      segmentId: segment.id,
      promptId: attempt.promptId!,
      attemptId: attempt.id,
      contentHash: 'hash-1',
      asset: clip('clips/one.mp4'),
      times: { queueMs: 12, executionMs: 3400 },
    });
    assert.ok(done);
    assert.equal(done.segment.status, 'completed');
    assert.equal(done.segment.outputAssetId, done.asset.id);
    assert.equal(done.segment.contentHash, 'hash-1');
    assert.equal(done.asset.storageKey, 'clips/one.mp4');
    assert.equal((await db.select().from(assets).where(eq(assets.id, done.asset.id))).length, 1);
    const closed = await attemptOf(attempt.id);
    assert.equal(closed.outcome, 'succeeded');
    assert.equal(closed.queueMs, 12);
    assert.equal(closed.executionMs, 3400);
    assert.ok(closed.finishedAt);

    // Cancelled while its clip was being fetched: nothing of the completion is written.
    const second = await claimed('the harbour at night');
    await db.update(segments).set({ status: 'cancelled' }).where(eq(segments.id, second.segment.id));
    const refused = await completeSegment(db, {
      segmentId: second.segment.id,
      promptId: second.attempt.promptId!,
      attemptId: second.attempt.id,
      contentHash: 'hash-2',
      asset: clip('clips/two.mp4'),
    });
    assert.equal(refused, null);
    assert.equal((await db.select().from(assets).where(eq(assets.storageKey, 'clips/two.mp4'))).length, 0);
    assert.equal((await attemptOf(second.attempt.id)).outcome, 'running');
  } finally {
    await database.destroy();
  }
});

test(`a claim that waited for the segment's lock numbers its attempt after the claim it waited for (${testDbKind()})`, {
  skip: testDbKind() !== 'postgres' && 'needs a second connection',
}, async () => {
  const database = await openTestDb();
  const { db } = database;
  const other = new pg.Client({ connectionString: database.url });
  try {
    await other.connect();
    const project = await createProject(db, { name: 'lock waits' });
    const segment = await createSegment(db, project.id, { prompt: 'a lock held' });
    await db.update(segments).set({ status: 'queued' }).where(eq(segments.id, segment.id));
    // Another worker's claim, still open: the segment taken and its attempt 1 written.
    await other.query('begin');
    await other.query(`update segments set status = 'generating', attempt = attempt + 1 where id = $1`, [
      segment.id,
    ]);
    await other.query(
      `insert into generation_attempts (id, segment_id, project_id, attempt, outcome) values ($1, $2, $3, 1, 'running')`,
      [randomUUID(), segment.id, project.id],
    );
    // Queued again right after it (a retry), by a statement waiting behind that claim.
    const requeued = db.update(segments).set({ status: 'queued' }).where(eq(segments.id, segment.id));
    const requeuing = requeued.then(() => {});
    await new Promise((r) => setTimeout(r, 200));
    // This claim waits for the lock too, and finds the segment queued once both are done.
    const claiming = claimSegment(db, {
      segmentId: segment.id,
      jobId: randomUUID(),
      promptIdFor: (n) => `p-${n}`,
    });
    await new Promise((r) => setTimeout(r, 200));
    await other.query('commit');
    await requeuing;
    const claim = await claiming;
    assert.equal(claim.kind, 'fresh');
    assert.equal(claim.kind === 'fresh' && claim.attempt.attempt, 2);
  } finally {
    await other.end().catch(() => {});
    await database.destroy();
  }
});
