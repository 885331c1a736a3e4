import { randomInt } from 'node:crypto';
import { and, asc, count, eq, gte, ne, sql } from 'drizzle-orm';
import {
  BUILTIN_IMAGE_TO_VIDEO_ID,
  BUILTIN_TEXT_TO_VIDEO_ID,
  type Segment,
  type SegmentParams,
  type WorkflowBindings,
  type WorkflowGraph,
  completeBindings,
  conflict,
  findBindingProblem,
  invalid,
  notFound,
} from '@framesmith/core';
import { assets, segments, workflows } from '../schema.ts';
import { type AssetSummary, type SegmentRow, serializeSegment } from '../serialize.ts';
import { CLEARED_SEGMENT_ERROR, type Executor, type Tx, fieldProblem, isUuid } from './common.ts';
import { lockProject } from './projects.ts';

export interface CreateSegmentInput {
  prompt: string;
  negativePrompt?: string;
  params?: SegmentParams;
  workflowId?: string;
  workflow?: Record<string, unknown>;
  bindings?: WorkflowBindings;
  position?: number;
}

export interface UpdateSegmentInput {
  prompt?: string;
  negativePrompt?: string;
  /** Merged into the current params. */
  params?: SegmentParams;
  workflowId?: string | null;
  workflow?: Record<string, unknown> | null;
  bindings?: WorkflowBindings;
}

export interface SegmentOptions {
  /** Attempts a generation may take (GENERATION_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Seed source for segments created without one; injectable for tests. */
  randomSeed?: () => number;
}

/** Seeds are drawn from [0, 2^32), a range every sampler node accepts. */
export const randomSeed = (): number => randomInt(0, 2 ** 32);

/** The library workflow a segment uses when it names none: image-to-video when it has an input image. */
export function defaultWorkflowId(params: SegmentParams | undefined): string {
  return params?.inputImage ? BUILTIN_IMAGE_TO_VIDEO_ID : BUILTIN_TEXT_TO_VIDEO_ID;
}

const segmentWithOutput = {
  segment: segments,
  output: {
    id: assets.id,
    durationSeconds: assets.durationSeconds,
    width: assets.width,
    height: assets.height,
  },
};

function toSegment(r: { segment: SegmentRow; output: unknown }): Segment {
  return serializeSegment(r.segment, (r.output as AssetSummary | null) ?? null);
}

export async function findSegmentRow(db: Executor, id: string): Promise<SegmentRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(segments).where(eq(segments.id, id));
  return row ?? null;
}

export async function getSegment(db: Executor, id: string): Promise<Segment> {
  if (!isUuid(id)) throw notFound('Segment', id);
  const [row] = await db
    .select(segmentWithOutput)
    .from(segments)
    .leftJoin(assets, eq(assets.id, segments.outputAssetId))
    .where(eq(segments.id, id));
  if (!row) throw notFound('Segment', id);
  return toSegment(row);
}

/** A project's segments in timeline order (the project must exist). */
export async function listSegments(db: Executor, projectId: string): Promise<Segment[]> {
  if (!isUuid(projectId)) throw notFound('Project', projectId);
  const rows = await db
    .select(segmentWithOutput)
    .from(segments)
    .leftJoin(assets, eq(assets.id, segments.outputAssetId))
    .where(eq(segments.projectId, projectId))
    .orderBy(asc(segments.position));
  return rows.map(toSegment);
}

/** The workflow part of a segment: a library workflow, or an inline graph with completed bindings. */
interface WorkflowChoice {
  workflowId: string | null;
  inlineWorkflow: WorkflowGraph | null;
  inlineBindings: WorkflowBindings | null;
}

async function requireWorkflow(db: Executor, id: string): Promise<void> {
  const [row] = await db.select({ id: workflows.id }).from(workflows).where(eq(workflows.id, id));
  if (!row) throw invalid('workflowId', 'no workflow with this id');
}

function inlineChoice(graph: Record<string, unknown>, given: WorkflowBindings | undefined): WorkflowChoice {
  const g = graph as WorkflowGraph;
  const bindings = completeBindings(g, given);
  const problem = findBindingProblem(g, bindings);
  if (problem) throw fieldProblem(problem, 'bindings');
  return { workflowId: null, inlineWorkflow: g, inlineBindings: bindings };
}

async function chooseWorkflow(db: Executor, input: CreateSegmentInput): Promise<WorkflowChoice> {
  if (input.workflow) return inlineChoice(input.workflow, input.bindings);
  if (input.bindings) throw invalid('bindings', 'can only be given with an inline workflow');
  if (input.workflowId) {
    await requireWorkflow(db, input.workflowId);
    return { workflowId: input.workflowId, inlineWorkflow: null, inlineBindings: null };
  }
  return { workflowId: defaultWorkflowId(input.params), inlineWorkflow: null, inlineBindings: null };
}

/**
 * Positions are rewritten in two statements because the (project_id, position) unique index is
 * checked row by row: first every affected row moves to a distinct negative slot, then to its
 * final place, so no statement ever meets a duplicate half-way.
 */
async function openGap(tx: Tx, projectId: string, at: number): Promise<void> {
  await tx
    .update(segments)
    .set({ position: sql`-2 - ${segments.position}` })
    .where(and(eq(segments.projectId, projectId), gte(segments.position, at)));
  await tx
    .update(segments)
    .set({ position: sql`-1 - ${segments.position}`, updatedAt: sql`now()` })
    .where(and(eq(segments.projectId, projectId), sql`${segments.position} < 0`));
}

/** Renumbers a project's segments 0..n-1, keeping their order (after a delete). */
async function compactPositions(tx: Tx, projectId: string): Promise<void> {
  await tx
    .update(segments)
    .set({ position: sql`-1 - ${segments.position}` })
    .where(eq(segments.projectId, projectId));
  await tx.execute(sql`
    UPDATE segments AS s
    SET position = o.rn - 1,
        updated_at = CASE WHEN -1 - s.position = o.rn - 1 THEN s.updated_at ELSE now() END
    FROM (
      SELECT id, row_number() OVER (ORDER BY position DESC) AS rn
      FROM segments WHERE project_id = ${projectId}
    ) AS o
    WHERE s.id = o.id`);
}

export async function createSegment(
  db: Executor,
  projectId: string,
  input: CreateSegmentInput,
  options: SegmentOptions = {},
): Promise<Segment> {
  if (!isUuid(projectId)) throw notFound('Project', projectId);
  const choice = await chooseWorkflow(db, input);
  const params: SegmentParams = {
    ...input.params,
    seed: input.params?.seed ?? (options.randomSeed ?? randomSeed)(),
  };
  const row = await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const [{ n } = { n: 0 }] = await tx
      .select({ n: count() })
      .from(segments)
      .where(eq(segments.projectId, projectId));
    const position = Math.min(input.position ?? n, n);
    if (position < n) await openGap(tx, projectId, position);
    const [inserted] = await tx
      .insert(segments)
      .values({
        projectId,
        position,
        prompt: input.prompt,
        negativePrompt: input.negativePrompt ?? '',
        params,
        ...choice,
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      })
      .returning();
    return inserted!;
  });
  return serializeSegment(row);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

async function nextWorkflow(
  db: Executor,
  current: SegmentRow,
  input: UpdateSegmentInput,
  params: SegmentParams,
): Promise<WorkflowChoice> {
  if (input.workflow) return inlineChoice(input.workflow, input.bindings);
  if (input.workflowId) {
    if (input.bindings) throw invalid('bindings', 'can only be given with an inline workflow');
    await requireWorkflow(db, input.workflowId);
    return { workflowId: input.workflowId, inlineWorkflow: null, inlineBindings: null };
  }
  if (input.workflow === null || input.workflowId === null) {
    if (input.bindings) throw invalid('bindings', 'can only be given with an inline workflow');
    return { workflowId: defaultWorkflowId(params), inlineWorkflow: null, inlineBindings: null };
  }
  if (input.bindings) {
    if (!current.inlineWorkflow) throw invalid('bindings', 'can only be given with an inline workflow');
    return inlineChoice(current.inlineWorkflow, { ...current.inlineBindings, ...input.bindings });
  }
  return {
    workflowId: current.workflowId,
    inlineWorkflow: current.inlineWorkflow,
    inlineBindings: current.inlineBindings,
  };
}

const generatingConflict = () =>
  conflict('This segment is generating; cancel it or wait for it to finish before editing it.', {
    status: 'generating',
  });

/**
 * Edits a segment. A change to anything that shapes the clip sends it back to `pending` with
 * its output and error cleared; a generating segment is refused (409). The row is locked while
 * the edit is merged into it, so concurrent edits apply one after the other and none is lost;
 * a worker's guarded transition waits for the edit and then finds the new status.
 */
export async function updateSegment(db: Executor, id: string, input: UpdateSegmentInput): Promise<Segment> {
  if (!isUuid(id)) throw notFound('Segment', id);
  const row = await db.transaction(async (tx) => {
    const [current] = await tx.select().from(segments).where(eq(segments.id, id)).for('update');
    if (!current) throw notFound('Segment', id);
    if (current.status === 'generating') throw generatingConflict();
    const params: SegmentParams = { ...current.params, ...input.params };
    const choice = await nextWorkflow(tx, current, input, params);
    const next = {
      prompt: input.prompt ?? current.prompt,
      negativePrompt: input.negativePrompt ?? current.negativePrompt,
      params,
      ...choice,
    };
    const changed =
      next.prompt !== current.prompt ||
      next.negativePrompt !== current.negativePrompt ||
      !sameJson(next.params, current.params) ||
      next.workflowId !== current.workflowId ||
      !sameJson(next.inlineWorkflow, current.inlineWorkflow) ||
      !sameJson(next.inlineBindings, current.inlineBindings);
    if (!changed) return null;
    const [updated] = await tx
      .update(segments)
      .set({
        ...next,
        status: 'pending',
        progress: 0,
        attempt: 0,
        nextAttemptAt: null,
        queuePosition: null,
        contentHash: null,
        outputAssetId: null,
        outputHash: null,
        renderJobId: null,
        backend: null,
        promptId: null,
        ...CLEARED_SEGMENT_ERROR,
        updatedAt: sql`now()`,
      })
      .where(eq(segments.id, id))
      .returning();
    return updated!;
  });
  return row ? serializeSegment(row) : getSegment(db, id);
}

/** Deletes a segment and closes the gap it leaves. A generating segment is refused (409). */
export async function deleteSegment(db: Executor, id: string): Promise<{ projectId: string }> {
  const found = await findSegmentRow(db, id);
  if (!found) throw notFound('Segment', id);
  await db.transaction(async (tx) => {
    await lockProject(tx, found.projectId);
    const [deleted] = await tx
      .delete(segments)
      .where(and(eq(segments.id, id), ne(segments.status, 'generating')))
      .returning({ position: segments.position });
    if (!deleted) {
      const still = await findSegmentRow(tx, id);
      if (!still) throw notFound('Segment', id);
      throw conflict('This segment is generating; cancel it or wait for it to finish before deleting it.', {
        status: still.status,
      });
    }
    await compactPositions(tx, found.projectId);
  });
  return { projectId: found.projectId };
}

/**
 * Puts the project's segments in the given order. The list must name every segment of the
 * project exactly once; a stale list (a segment added or removed meanwhile) is a 409.
 */
export async function reorderSegments(
  db: Executor,
  projectId: string,
  segmentIds: string[],
): Promise<Segment[]> {
  if (!isUuid(projectId)) throw notFound('Project', projectId);
  const seen = new Set<string>();
  for (const [i, sid] of segmentIds.entries()) {
    if (seen.has(sid)) throw invalid(`segmentIds.${i}`, 'appears more than once');
    seen.add(sid);
  }
  await db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const rows = await tx.select({ id: segments.id }).from(segments).where(eq(segments.projectId, projectId));
    const actual = new Set(rows.map((r) => r.id));
    const unknown = segmentIds.filter((s) => !actual.has(s));
    const missing = [...actual].filter((s) => !seen.has(s));
    if (unknown.length > 0 || missing.length > 0) {
      throw conflict(
        'segmentIds must list every segment of this project exactly once; reload and try again.',
        {
          missing,
          unknown,
        },
      );
    }
    await tx
      .update(segments)
      .set({ position: sql`-1 - ${segments.position}` })
      .where(eq(segments.projectId, projectId));
    const ids = sql.join(
      segmentIds.map((s) => sql`${s}`),
      sql`, `,
    );
    await tx.execute(sql`
      UPDATE segments AS s
      SET position = o.ord - 1,
          updated_at = CASE WHEN -1 - s.position = o.ord - 1 THEN s.updated_at ELSE now() END
      FROM unnest(ARRAY[${ids}]::uuid[]) WITH ORDINALITY AS o(id, ord)
      WHERE s.id = o.id AND s.project_id = ${projectId}`);
  });
  return listSegments(db, projectId);
}
