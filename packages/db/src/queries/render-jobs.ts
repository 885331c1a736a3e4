import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import {
  ACTIVE_RENDER_JOB_STATUSES,
  type ProjectSettings,
  type RenderJob,
  type RenderJobStatus,
  type SegmentStatus,
  notFound,
} from '@framesmith/core';
import { assets, renderJobs, segments } from '../schema.ts';
import { type AssetSummary, emptyCounts, serializeAsset, serializeRowError } from '../serialize.ts';
import { CLEARED_SEGMENT_ERROR, type Executor, isUuid } from './common.ts';

/**
 * Render jobs and the render-level moves of their segments. Every transition is one guarded
 * UPDATE … WHERE status IN (expected) … RETURNING (ARCHITECTURE §6): zero rows is a normal
 * outcome meaning someone else moved the row first. Counts and progress are derived from the
 * segments each time, never kept as counters.
 */

export type RenderJobRow = typeof renderJobs.$inferSelect;

/** What accounting needs to know about one segment of a render. */
export interface RenderSegmentState {
  id: string;
  position: number;
  status: SegmentStatus;
  progress: number;
  outputAssetId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** Share of the progress bar that generation fills; composition fills the rest. */
const GENERATION_SHARE = 0.9;

/**
 * A render's segments counted by status, with the sum of their progress: all its API view
 * needs, and what one aggregate query returns instead of a row per segment.
 */
export interface StatusTally {
  status: SegmentStatus;
  count: number;
  progress: number;
}

export function tallyOf(states: readonly Pick<RenderSegmentState, 'status' | 'progress'>[]): StatusTally[] {
  const byStatus = new Map<SegmentStatus, StatusTally>();
  for (const s of states) {
    const t = byStatus.get(s.status) ?? { status: s.status, count: 0, progress: 0 };
    t.count += 1;
    t.progress += s.progress;
    byStatus.set(s.status, t);
  }
  return [...byStatus.values()];
}

export function renderJobProgress(status: RenderJobStatus, states: readonly RenderSegmentState[]): number {
  return progressOf(status, tallyOf(states));
}

function progressOf(status: RenderJobStatus, tally: readonly StatusTally[]): number {
  if (status === 'completed') return 1;
  if (status === 'compositing') return GENERATION_SHARE;
  const total = tally.reduce((sum, t) => sum + t.count, 0);
  if (total === 0) return 0;
  const done = tally.reduce(
    (sum, t) => sum + (t.status === 'completed' ? t.count : t.status === 'generating' ? t.progress : 0),
    0,
  );
  return Math.min(GENERATION_SHARE, (GENERATION_SHARE * done) / total);
}

export function serializeRenderJob(
  row: RenderJobRow,
  tally: readonly StatusTally[],
  output: AssetSummary | null,
): RenderJob {
  const counts = emptyCounts();
  for (const t of tally) {
    counts[t.status] += t.count;
    counts.total += t.count;
  }
  return {
    id: row.id,
    projectId: row.projectId,
    status: row.status,
    segmentIds: row.segmentIds,
    counts,
    progress: progressOf(row.status, tally),
    output: output ? serializeAsset(output) : null,
    error: serializeRowError({ ...row, retryable: false, errorAt: row.finishedAt }),
    summary: row.summary,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export async function findRenderJobRow(db: Executor, id: string): Promise<RenderJobRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(renderJobs).where(eq(renderJobs.id, id));
  return row ?? null;
}

export async function getRenderJobRow(db: Executor, id: string): Promise<RenderJobRow> {
  const row = await findRenderJobRow(db, id);
  if (!row) throw notFound('Render job', id);
  return row;
}

export async function findActiveRenderJobRow(db: Executor, projectId: string): Promise<RenderJobRow | null> {
  const [row] = await db
    .select()
    .from(renderJobs)
    .where(
      and(eq(renderJobs.projectId, projectId), inArray(renderJobs.status, [...ACTIVE_RENDER_JOB_STATUSES])),
    );
  return row ?? null;
}

/** The latest render job of a project, active or not. */
export async function findLatestRenderJobRow(db: Executor, projectId: string): Promise<RenderJobRow | null> {
  const [row] = await db
    .select()
    .from(renderJobs)
    .where(eq(renderJobs.projectId, projectId))
    .orderBy(desc(renderJobs.createdAt), desc(renderJobs.id))
    .limit(1);
  return row ?? null;
}

/**
 * The segments of the render job row in scope that still exist, tallied by status (one row per
 * status, not per segment) as a json array: a subquery of any select from render_jobs.
 */
const segmentTallyJson = sql<StatusTally[]>`(
  select coalesce(json_agg(json_build_object('status', t.status, 'count', t.count, 'progress', t.progress)), '[]'::json)
  from (
    select ${segments.status} as status, count(*)::int as count, coalesce(sum(${segments.progress}), 0)::float8 as progress
    from ${segments}
    where ${segments.id} in (select (jsonb_array_elements_text(${renderJobs.segmentIds}))::uuid)
    group by ${segments.status}
  ) t
)`;

const tallyFrom = (rows: readonly StatusTally[]): StatusTally[] =>
  rows.map((t) => ({ status: t.status, count: Number(t.count), progress: Number(t.progress) }));

/** The segments a render covers that still exist, tallied by status in one aggregate query. */
export async function renderSegmentTally(db: Executor, renderJobId: string): Promise<StatusTally[]> {
  const [row] = await db
    .select({ tally: segmentTallyJson })
    .from(renderJobs)
    .where(eq(renderJobs.id, renderJobId));
  return row ? tallyFrom(row.tally) : [];
}

/**
 * A render job with its segments' tally, in one statement: what accounting reads after every
 * segment change (one round trip instead of two, on the path between one segment's completion
 * and the next one's start).
 */
export async function findRenderJobWithTally(
  db: Executor,
  id: string,
): Promise<{ job: RenderJobRow; tally: StatusTally[] } | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select({ job: renderJobs, tally: segmentTallyJson })
    .from(renderJobs)
    .where(eq(renderJobs.id, id));
  return row ? { job: row.job, tally: tallyFrom(row.tally) } : null;
}

/** The segments a render covers that still exist, in timeline order. */
export async function renderSegmentStates(
  db: Executor,
  segmentIds: readonly string[],
): Promise<RenderSegmentState[]> {
  if (segmentIds.length === 0) return [];
  return db
    .select({
      id: segments.id,
      position: segments.position,
      status: segments.status,
      progress: segments.progress,
      outputAssetId: segments.outputAssetId,
      errorCode: segments.errorCode,
      errorMessage: segments.errorMessage,
    })
    .from(segments)
    .where(inArray(segments.id, [...segmentIds]))
    .orderBy(segments.position);
}

async function outputOf(db: Executor, assetId: string | null): Promise<AssetSummary | null> {
  if (!assetId) return null;
  const [a] = await db
    .select({
      id: assets.id,
      durationSeconds: assets.durationSeconds,
      width: assets.width,
      height: assets.height,
    })
    .from(assets)
    .where(eq(assets.id, assetId));
  return a ?? null;
}

/** The render job as the API shows it. `tally` saves a read when the caller has just made it. */
export async function renderJobResource(
  db: Executor,
  row: RenderJobRow,
  tally?: readonly StatusTally[],
): Promise<RenderJob> {
  const [counted, output] = await Promise.all([
    tally ?? renderSegmentTally(db, row.id),
    outputOf(db, row.outputAssetId),
  ]);
  return serializeRenderJob(row, counted, output);
}

export async function getRenderJob(db: Executor, id: string): Promise<RenderJob> {
  return renderJobResource(db, await getRenderJobRow(db, id));
}

/** A project's render jobs, newest first. */
export async function listRenderJobs(db: Executor, projectId: string, limit = 50): Promise<RenderJob[]> {
  const rows = await db
    .select()
    .from(renderJobs)
    .where(eq(renderJobs.projectId, projectId))
    .orderBy(desc(renderJobs.createdAt), desc(renderJobs.id))
    .limit(limit);
  return Promise.all(rows.map((r) => renderJobResource(db, r)));
}

/** Active (not final) render jobs, for the reaper. */
export async function listActiveRenderJobRows(db: Executor): Promise<RenderJobRow[]> {
  return db
    .select()
    .from(renderJobs)
    .where(inArray(renderJobs.status, [...ACTIVE_RENDER_JOB_STATUSES]));
}

/**
 * Inserts a render job; null when the project already has an active one (the partial unique
 * index render_jobs_one_active_uq refused it), so two concurrent requests give one job.
 */
export async function insertRenderJob(
  db: Executor,
  job: { projectId: string; segmentIds: string[]; settings: ProjectSettings; status: RenderJobStatus },
): Promise<RenderJobRow | null> {
  const rows = await db
    .insert(renderJobs)
    .values({ ...job, startedAt: sql`now()` })
    .onConflictDoNothing({
      target: renderJobs.projectId,
      where: sql`status IN ('queued', 'generating', 'compositing')`,
    })
    .returning();
  return rows[0] ?? null;
}

export interface RenderJobChanges {
  summary?: string | null;
  outputAssetId?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  errorDetail?: Record<string, unknown> | null;
}

const FINAL: readonly RenderJobStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Guarded move of a render job; null when it was not in one of `from`. `settled` also requires
 * that none of its segments is queued or generating: a decision made from states read a moment
 * ago (compose, fail, cancel) must not end a job a retry has just given new work.
 */
export async function moveRenderJob(
  db: Executor,
  id: string,
  from: readonly RenderJobStatus[],
  to: RenderJobStatus,
  changes: RenderJobChanges = {},
  guard: {
    settled?: boolean;
    /** Segment id → the output asset the move relies on: refused if any segment changed since. */
    clips?: Record<string, string>;
  } = {},
): Promise<RenderJobRow | null> {
  const [row] = await db
    .update(renderJobs)
    .set({
      ...changes,
      status: to,
      updatedAt: sql`now()`,
      finishedAt: FINAL.includes(to) ? sql`now()` : null,
      ...(to === 'generating' && from.some((f) => FINAL.includes(f))
        ? { summary: null, errorCode: null, errorMessage: null, errorDetail: null, outputAssetId: null }
        : {}),
    })
    .where(
      and(
        eq(renderJobs.id, id),
        inArray(renderJobs.status, [...from]),
        guard.settled
          ? sql`NOT EXISTS (SELECT 1 FROM segments s
              WHERE s.id::text IN (SELECT jsonb_array_elements_text(${renderJobs.segmentIds}))
              AND s.status IN ('queued', 'generating'))`
          : undefined,
        guard.clips
          ? sql`NOT EXISTS (SELECT 1 FROM segments s
              WHERE s.id::text IN (SELECT jsonb_array_elements_text(${renderJobs.segmentIds}))
              AND (s.status <> 'completed'
                OR s.output_asset_id::text IS DISTINCT FROM (${JSON.stringify(guard.clips)}::jsonb ->> s.id::text)))`
          : undefined,
      ),
    )
    .returning();
  return row ?? null;
}

// ---- Segment moves made by a render (start, retry, cancel) ----

export type SegmentRow = typeof segments.$inferSelect;

/**
 * Queues segments for a render: a fresh run of attempts, error cleared. Only from `from`
 * (guarded); returns the rows that moved.
 */
export async function queueSegments(
  db: Executor,
  ids: readonly string[],
  from: readonly SegmentStatus[],
  run: { renderJobId: string; maxAttempts: number },
): Promise<SegmentRow[]> {
  if (ids.length === 0) return [];
  return db
    .update(segments)
    .set({
      status: 'queued',
      renderJobId: run.renderJobId,
      attempt: 0,
      maxAttempts: run.maxAttempts,
      progress: 0,
      nextAttemptAt: null,
      queuePosition: null,
      backend: null,
      ...CLEARED_SEGMENT_ERROR,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(segments.id, [...ids]), inArray(segments.status, [...from])))
    .returning();
}

/**
 * A segment whose stored clip still matches its content: completed again without generating.
 */
export async function reuseSegmentClips(
  db: Executor,
  ids: readonly string[],
  renderJobId: string,
): Promise<SegmentRow[]> {
  if (ids.length === 0) return [];
  return db
    .update(segments)
    .set({ status: 'completed', progress: 1, renderJobId, ...CLEARED_SEGMENT_ERROR, updatedAt: sql`now()` })
    .where(
      and(
        inArray(segments.id, [...ids]),
        inArray(segments.status, ['pending', 'failed', 'cancelled', 'completed']),
        sql`${segments.outputAssetId} IS NOT NULL`,
      ),
    )
    .returning();
}

/** Cancels queued or generating segments; completed clips are kept. Returns the rows that moved. */
export async function cancelSegments(db: Executor, ids: readonly string[]): Promise<SegmentRow[]> {
  if (ids.length === 0) return [];
  return db
    .update(segments)
    .set({
      status: 'cancelled',
      progress: 0,
      nextAttemptAt: null,
      queuePosition: null,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(segments.id, [...ids]), inArray(segments.status, ['queued', 'generating'])))
    .returning();
}

export async function findSegmentRows(db: Executor, ids: readonly string[]): Promise<SegmentRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(segments)
    .where(inArray(segments.id, [...ids]));
}

/** A project's segments in timeline order, as rows. */
export async function projectSegmentRows(db: Executor, projectId: string): Promise<SegmentRow[]> {
  return db.select().from(segments).where(eq(segments.projectId, projectId)).orderBy(segments.position);
}
