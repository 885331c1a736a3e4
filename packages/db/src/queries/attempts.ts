import { randomUUID } from 'node:crypto';
import { and, desc, eq, exists, gt, lt, type SQL, sql } from 'drizzle-orm';
import type { ErrorCode, ErrorDetail } from '@framesmith/core';
import { assets, generationAttempts, projects, segments } from '../schema.ts';
import type { Db } from '../open-db.ts';
import { CLEARED_SEGMENT_ERROR, type Executor, preparedPer } from './common.ts';
import { type AssetRow, deleteAssetRow, type NewAsset } from './assets.ts';
import type { SegmentRow } from './render-jobs.ts';

/**
 * Generation attempts and the segment moves a worker makes (ARCHITECTURE §6, §8). One attempt
 * row per try; its id is the id of the queue job that runs it, so a job re-run after a crash
 * finds its own attempt (and prompt id) again, and a stray duplicate job finds none.
 */

export type AttemptRow = typeof generationAttempts.$inferSelect;
export type AttemptOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The stored form of a failure, as the taxonomy and the classifier give it. */
export interface FailureRecord {
  code: ErrorCode;
  message: string;
  tips: string[];
  retryable: boolean;
  detail: ErrorDetail;
}

export type Claim =
  | { kind: 'fresh'; segment: SegmentRow; attempt: AttemptRow }
  | { kind: 'resume'; segment: SegmentRow; attempt: AttemptRow }
  | { kind: 'skip'; reason: string; segment: SegmentRow | null };

/** A segment as a worker reads it before claiming it: what a one-statement claim checks against. */
export interface SegmentForClaim {
  segment: SegmentRow;
  /** The row version (PostgreSQL's xmin): any write to the segment changes it. */
  version: string;
  /** The segment's last lifetime attempt number (0 before its first). */
  lastAttempt: number;
  /** Its project's settings (the prompt is built with them). */
  settings: (typeof projects.$inferSelect)['settings'];
}

const readForClaim = preparedPer((db) =>
  db
    .select({
      segment: segments,
      version: sql<string>`${segments}.xmin::text`,
      lastAttempt: sql<number>`(select coalesce(max(a.attempt), 0)::int from generation_attempts a where a.segment_id = ${segments.id})`,
      settings: projects.settings,
    })
    .from(segments)
    .innerJoin(projects, eq(projects.id, segments.projectId))
    .where(eq(segments.id, sql.placeholder('segmentId')))
    .prepare('framesmith_read_segment_for_claim'),
);

/** A segment with what its claim needs, in one round trip; null when it is gone. */
export async function readSegmentForClaim(db: Executor, segmentId: string): Promise<SegmentForClaim | null> {
  const [found] = await readForClaim(db).execute({ segmentId });
  return found ? { ...found, lastAttempt: Number(found.lastAttempt) } : null;
}

/**
 * Takes a segment for one queue job: `queued` → `generating` with a new attempt row (fresh), or
 * the job's own running attempt when it is re-run after its worker died (resume). Anything
 * else (cancelled, edited, already taken by another job) is a skip. One statement when the
 * segment is as the worker read it (`seen`), else one transaction: either way a crash never
 * leaves a generating segment without its attempt row.
 */
export async function claimSegment(
  db: Db,
  claim: {
    segmentId: string;
    jobId: string;
    promptIdFor: (lifetimeAttempt: number) => string;
    /**
     * The backend already leased for a fresh attempt, given the row as locked: recorded with the
     * attempt, or none (set later) when the lease does not hold for the row.
     */
    backendFor?: (segment: SegmentRow) => string | null;
    /**
     * The segment as the worker read it (`readSegmentForClaim`). When it is still that row
     * version and queued, the claim is one statement; otherwise the transaction below decides.
     */
    seen?: SegmentForClaim;
  },
): Promise<Claim> {
  if (claim.seen?.segment.status === 'queued') {
    const fresh = await claimSeenSegment(db, { ...claim, seen: claim.seen });
    if (fresh) return fresh;
  }
  return db.transaction(async (tx) => {
    const [segment] = await tx.select().from(segments).where(eq(segments.id, claim.segmentId)).for('update');
    if (!segment) return { kind: 'skip', reason: 'segment deleted', segment: null };
    if (segment.status === 'generating') {
      const [attempt] = await tx
        .select()
        .from(generationAttempts)
        .where(
          and(
            eq(generationAttempts.id, claim.jobId),
            eq(generationAttempts.segmentId, segment.id),
            eq(generationAttempts.outcome, 'running'),
          ),
        );
      if (attempt && attempt.promptId === segment.promptId) return { kind: 'resume', segment, attempt };
      return { kind: 'skip', reason: 'another job is generating this segment', segment };
    }
    if (segment.status !== 'queued') return { kind: 'skip', reason: `segment is ${segment.status}`, segment };
    // Read after the lock, in a statement of its own: a statement that waited for the lock
    // re-reads the locked row but keeps its older snapshot for everything else, so a number
    // read with the row could miss the attempt of a claim that committed during the wait.
    const [last] = await tx
      .select({ attempt: sql<number>`coalesce(max(${generationAttempts.attempt}), 0)::int` })
      .from(generationAttempts)
      .where(eq(generationAttempts.segmentId, segment.id));
    const lifetime = Number(last?.attempt ?? 0) + 1;
    const promptId = claim.promptIdFor(lifetime);
    const backend = claim.backendFor?.(segment) ?? null;
    const [moved] = await tx
      .update(segments)
      .set(claimedColumns(promptId, backend))
      .where(and(eq(segments.id, segment.id), eq(segments.status, 'queued')))
      .returning();
    const [attempt] = await tx
      .insert(generationAttempts)
      .values({
        id: claim.jobId,
        segmentId: segment.id,
        projectId: segment.projectId,
        renderJobId: segment.renderJobId,
        workflowId: segment.workflowId,
        attempt: lifetime,
        promptId,
        backend,
        outcome: 'running',
      })
      .returning();
    return { kind: 'fresh', segment: moved!, attempt: attempt! };
  });
}

/** A segment as a fresh claim leaves it: generating this prompt, on this backend if known. */
function claimedColumns(promptId: string | SQL, backend: string | null | SQL) {
  return {
    status: 'generating' as const,
    attempt: sql`${segments.attempt} + 1`,
    progress: 0,
    promptId,
    backend,
    queuePosition: null,
    nextAttemptAt: null,
    updatedAt: sql`now()`,
  };
}

/**
 * The fresh claim of a segment unchanged since it was read, as one statement (one round trip,
 * one commit): the segment moved to `generating` only if its row version is the one read, and
 * the attempt row inserted only with it. A write in between (an edit, a cancel, another claim,
 * which also numbers attempts) changed the version, so the number read is still the last one.
 * null when the row moved on: the caller's transaction then looks at it under a lock.
 */
async function claimSeenSegment(
  db: Db,
  claim: {
    jobId: string;
    promptIdFor: (lifetimeAttempt: number) => string;
    backendFor?: (segment: SegmentRow) => string | null;
    seen: SegmentForClaim;
  },
): Promise<Claim | null> {
  const { segment, version, lastAttempt } = claim.seen;
  const lifetime = lastAttempt + 1;
  const [row] = await claimSeen(db).execute({
    segmentId: segment.id,
    version,
    jobId: claim.jobId,
    lifetime,
    promptId: claim.promptIdFor(lifetime),
    backend: claim.backendFor?.(segment) ?? null,
  });
  return row ? { kind: 'fresh', segment: row.claimed_segment, attempt: row.claimed_attempt } : null;
}

/**
 * A value given when a prepared statement runs, written as SQL: bound as it is, its type taken
 * from where it stands (a column it is assigned to, a cast).
 */
const param = (name: string) => sql`${sql.placeholder(name)}`;

const claimSeen = preparedPer((db) => {
  const moved = db.$with('claimed_segment').as(
    db
      .update(segments)
      .set(claimedColumns(param('promptId'), param('backend')))
      .where(
        and(
          eq(segments.id, sql.placeholder('segmentId')),
          eq(segments.status, 'queued'),
          sql`${segments}.xmin = ${sql.placeholder('version')}::xid`,
        ),
      )
      .returning(),
  );
  // INSERT … SELECT from the moved row, so no attempt is written without it; every column in
  // table order, as drizzle's insert-select asks.
  const none = sql`null`;
  const attempt = db.$with('claimed_attempt').as(
    db
      .insert(generationAttempts)
      .select((qb) =>
        qb
          .select({
            id: sql`${sql.placeholder('jobId')}::uuid`.as('id'),
            segmentId: moved.id,
            projectId: moved.projectId,
            renderJobId: moved.renderJobId,
            workflowId: moved.workflowId,
            attempt: sql`${sql.placeholder('lifetime')}::int`.as('attempt'),
            backend: moved.backend,
            promptId: moved.promptId,
            outcome: sql`'running'`.as('outcome'),
            errorCode: none.as('error_code'),
            errorMessage: none.as('error_message'),
            errorDetail: sql`null::jsonb`.as('error_detail'),
            retryable: sql`null::boolean`.as('retryable'),
            startedAt: sql`now()`.as('started_at'),
            finishedAt: sql`null::timestamptz`.as('finished_at'),
            queueMs: sql`null::int`.as('queue_ms'),
            executionMs: sql`null::int`.as('execution_ms'),
            durationMs: sql`null::int`.as('duration_ms'),
          })
          .from(moved),
      )
      .returning(),
  );
  return db
    .with(moved, attempt)
    .select()
    .from(moved)
    .innerJoin(attempt, sql`true`)
    .prepare('framesmith_claim_seen_segment');
});

/** Live fields of a generating segment; null when it is no longer generating this prompt. */
export async function updateGeneratingSegment(
  db: Executor,
  segmentId: string,
  promptId: string,
  changes: { progress?: number; queuePosition?: number | null; backend?: string },
): Promise<SegmentRow | null> {
  const [row] = await db
    .update(segments)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(
      and(eq(segments.id, segmentId), eq(segments.status, 'generating'), eq(segments.promptId, promptId)),
    )
    .returning();
  return row ?? null;
}

export async function setAttemptBackend(db: Executor, attemptId: string, backend: string): Promise<void> {
  await db.update(generationAttempts).set({ backend }).where(eq(generationAttempts.id, attemptId));
}

export interface AttemptTimes {
  queueMs?: number | null;
  executionMs?: number | null;
}

/**
 * Success, in one statement and so one commit: the clip's asset row, the segment completed with
 * it (guarded on still generating this prompt) and its attempt closed as succeeded. Null when
 * the segment moved on meanwhile (cancelled): the attempt stays open for the failure handler,
 * the asset row (inserted all the same) is deleted by a second statement, and the caller
 * removes the file.
 */
export async function completeSegment(
  db: Executor,
  done: {
    segmentId: string;
    promptId: string;
    attemptId: string;
    contentHash: string;
    asset: NewAsset;
    times?: AttemptTimes;
  },
): Promise<{ segment: SegmentRow; asset: AssetRow } | null> {
  const assetId = randomUUID();
  const { asset, times } = done;
  const [row] = await completion(db).execute({
    assetId,
    projectId: asset.projectId,
    kind: asset.kind,
    storageKey: asset.storageKey,
    contentType: asset.contentType,
    sizeBytes: asset.sizeBytes,
    durationSeconds: asset.durationSeconds ?? null,
    width: asset.width ?? null,
    height: asset.height ?? null,
    contentHash: done.contentHash,
    segmentId: done.segmentId,
    promptId: done.promptId,
    attemptId: done.attemptId,
    queueMs: times?.queueMs ?? null,
    executionMs: times?.executionMs ?? null,
  });
  if (!row) {
    await deleteAssetRow(db, assetId);
    return null;
  }
  return { segment: row.completed_segment, asset: row.new_asset };
}

const completion = preparedPer((db) => {
  const newAsset = db.$with('new_asset').as(
    db
      .insert(assets)
      .values({
        id: param('assetId'),
        projectId: param('projectId'),
        kind: param('kind'),
        storageKey: param('storageKey'),
        contentType: param('contentType'),
        sizeBytes: param('sizeBytes'),
        durationSeconds: param('durationSeconds'),
        width: param('width'),
        height: param('height'),
      })
      .returning(),
  );
  const completed = db.$with('completed_segment').as(
    db
      .update(segments)
      .set({
        status: 'completed',
        progress: 1,
        outputAssetId: param('assetId'),
        contentHash: param('contentHash'),
        queuePosition: null,
        nextAttemptAt: null,
        ...CLEARED_SEGMENT_ERROR,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(segments.id, sql.placeholder('segmentId')),
          eq(segments.status, 'generating'),
          eq(segments.promptId, sql.placeholder('promptId')),
        ),
      )
      .returning(),
  );
  const closed = db.$with('closed_attempt').as(
    db
      .update(generationAttempts)
      .set({
        ...closedColumns('succeeded', null),
        queueMs: param('queueMs'),
        executionMs: param('executionMs'),
      })
      .where(
        and(
          eq(generationAttempts.id, sql.placeholder('attemptId')),
          eq(generationAttempts.outcome, 'running'),
          exists(db.select({ one: sql`1` }).from(completed)),
        ),
      )
      .returning({ id: generationAttempts.id }),
  );
  return db
    .with(newAsset, completed, closed)
    .select()
    .from(completed)
    .innerJoin(newAsset, sql`true`)
    .prepare('framesmith_complete_segment');
});

/** Closes an attempt row with its outcome, failure and durations. */
export async function closeAttempt(
  db: Executor,
  attemptId: string,
  outcome: Exclude<AttemptOutcome, 'running'>,
  failure: FailureRecord | null,
  times: AttemptTimes = {},
): Promise<void> {
  await db
    .update(generationAttempts)
    .set(closedColumns(outcome, failure, times))
    .where(and(eq(generationAttempts.id, attemptId), eq(generationAttempts.outcome, 'running')));
}

function closedColumns(
  outcome: Exclude<AttemptOutcome, 'running'>,
  failure: FailureRecord | null,
  times: AttemptTimes = {},
) {
  return {
    outcome,
    finishedAt: sql`now()`,
    durationMs: sql`(extract(epoch from (now() - ${generationAttempts.startedAt})) * 1000)::int`,
    queueMs: times.queueMs ?? null,
    executionMs: times.executionMs ?? null,
    errorCode: failure?.code ?? null,
    errorMessage: failure?.message ?? null,
    errorDetail: failure?.detail ?? null,
    retryable: failure?.retryable ?? null,
  };
}

function errorColumns(failure: FailureRecord) {
  return {
    errorCode: failure.code,
    errorMessage: failure.message,
    errorTips: failure.tips,
    errorDetail: failure.detail,
    retryable: failure.retryable,
    errorAt: sql`now()`,
  };
}

/**
 * After a failed attempt: back to `queued` for the next try at `nextAttemptAt` (retry), or
 * `failed`; the last error stays visible either way. Guarded on still generating this prompt.
 */
export async function settleFailedGeneration(
  db: Executor,
  segmentId: string,
  promptId: string,
  failure: FailureRecord,
  next: { retryAt: Date } | null,
): Promise<SegmentRow | null> {
  const [row] = await db
    .update(segments)
    .set({
      status: next ? 'queued' : 'failed',
      progress: 0,
      queuePosition: null,
      nextAttemptAt: next ? next.retryAt : null,
      ...errorColumns(failure),
      updatedAt: sql`now()`,
    })
    .where(
      and(eq(segments.id, segmentId), eq(segments.status, 'generating'), eq(segments.promptId, promptId)),
    )
    .returning();
  return row ?? null;
}

/** Error codes of the earlier failed attempts of the current run, oldest first. */
export async function earlierRunCodes(
  db: Executor,
  segmentId: string,
  lifetimeAttempt: number,
  runAttempt: number,
): Promise<ErrorCode[]> {
  const rows = await db
    .select({ code: generationAttempts.errorCode })
    .from(generationAttempts)
    .where(
      and(
        eq(generationAttempts.segmentId, segmentId),
        lt(generationAttempts.attempt, lifetimeAttempt),
        gt(generationAttempts.attempt, lifetimeAttempt - runAttempt),
      ),
    )
    .orderBy(generationAttempts.attempt);
  return rows.map((r) => r.code).filter((c): c is ErrorCode => c !== null);
}

export async function listAttempts(db: Executor, segmentId: string): Promise<AttemptRow[]> {
  return db
    .select()
    .from(generationAttempts)
    .where(eq(generationAttempts.segmentId, segmentId))
    .orderBy(desc(generationAttempts.attempt));
}

/** The running attempt of a generating segment (for the reaper and for cancel). */
export async function findRunningAttempt(
  db: Executor,
  segmentId: string,
  promptId: string,
): Promise<AttemptRow | null> {
  const [row] = await db
    .select()
    .from(generationAttempts)
    .where(
      and(
        eq(generationAttempts.segmentId, segmentId),
        eq(generationAttempts.promptId, promptId),
        eq(generationAttempts.outcome, 'running'),
      ),
    );
  return row ?? null;
}

/** Segments in `status` whose row has not changed for `olderThanMs` (for the reaper). */
export async function staleSegments(
  db: Executor,
  status: 'queued' | 'generating',
  olderThanMs: number,
  limit = 500,
): Promise<SegmentRow[]> {
  return db
    .select()
    .from(segments)
    .where(
      and(
        eq(segments.status, status),
        lt(segments.updatedAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`),
      ),
    )
    .limit(limit);
}
