import { and, asc, desc, eq, sql } from 'drizzle-orm';
import {
  type Project,
  type ProjectSettings,
  type ProjectWithSegments,
  type RenderJobStatus,
  type SegmentStatus,
  notFound,
} from '@framesmith/core';
import { assets, projects, renderJobs, segments } from '../schema.ts';
import {
  type AssetSummary,
  type LastRenderRow,
  type ProjectRow,
  countStatuses,
  emptyCounts,
  serializeProject,
  serializeSegment,
} from '../serialize.ts';
import { type Executor, type Tx, isUuid } from './common.ts';

export interface CreateProjectInput {
  name: string;
  description?: string;
  settings?: ProjectSettings;
}

export interface UpdateProjectInput {
  name?: string;
  description?: string;
  /** Merged into the current settings. */
  settings?: ProjectSettings;
}

export async function createProject(db: Executor, input: CreateProjectInput): Promise<Project> {
  const [row] = await db
    .insert(projects)
    .values({ name: input.name, description: input.description ?? '', settings: input.settings ?? {} })
    .returning();
  return serializeProject(row!);
}

export async function findProjectRow(db: Executor, id: string): Promise<ProjectRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(projects).where(eq(projects.id, id));
  return row ?? null;
}

/** The project row, or a NOT_FOUND request error (malformed ids included). */
export async function getProjectRow(db: Executor, id: string): Promise<ProjectRow> {
  const row = await findProjectRow(db, id);
  if (!row) throw notFound('Project', id);
  return row;
}

/**
 * Locks the project row for the rest of the transaction. Every change to a project's segment
 * positions takes this lock first, so concurrent inserts, deletes and reorders run one at a time.
 */
export async function lockProject(tx: Tx, id: string): Promise<ProjectRow> {
  if (!isUuid(id)) throw notFound('Project', id);
  const [row] = await tx.select().from(projects).where(eq(projects.id, id)).for('update');
  if (!row) throw notFound('Project', id);
  return row;
}

/** Every project, newest first, with segment counts by status and its latest render. */
export async function listProjects(db: Executor): Promise<Project[]> {
  const [rows, statusRows, renderRows] = await Promise.all([
    db.select().from(projects).orderBy(desc(projects.createdAt), asc(projects.id)),
    db
      .select({ projectId: segments.projectId, status: segments.status, n: sql<number>`count(*)::int` })
      .from(segments)
      .groupBy(segments.projectId, segments.status),
    db
      .selectDistinctOn([renderJobs.projectId], {
        projectId: renderJobs.projectId,
        id: renderJobs.id,
        status: renderJobs.status,
        finishedAt: renderJobs.finishedAt,
      })
      .from(renderJobs)
      .orderBy(renderJobs.projectId, desc(renderJobs.createdAt)),
  ]);
  const counts = new Map<string, ReturnType<typeof emptyCounts>>();
  for (const r of statusRows) {
    let c = counts.get(r.projectId);
    if (!c) {
      c = emptyCounts();
      counts.set(r.projectId, c);
    }
    c[r.status] += r.n;
    c.total += r.n;
  }
  const renders = new Map(renderRows.map((r) => [r.projectId, r]));
  return rows.map((row) => serializeProject(row, counts.get(row.id), renders.get(row.id) ?? null));
}

export async function findLastRender(db: Executor, projectId: string): Promise<LastRenderRow | null> {
  const [row] = await db
    .select({ id: renderJobs.id, status: renderJobs.status, finishedAt: renderJobs.finishedAt })
    .from(renderJobs)
    .where(eq(renderJobs.projectId, projectId))
    .orderBy(desc(renderJobs.createdAt))
    .limit(1);
  return row ?? null;
}

/**
 * One project with its segments in timeline order, as the API shows it: one query for the
 * project and its latest render, one for the segments with their output assets.
 */
export async function getProjectWithSegments(db: Executor, id: string): Promise<ProjectWithSegments> {
  if (!isUuid(id)) throw notFound('Project', id);
  const lastRender = db
    .select({
      id: renderJobs.id,
      status: renderJobs.status,
      finishedAt: renderJobs.finishedAt,
    })
    .from(renderJobs)
    .where(eq(renderJobs.projectId, projects.id))
    .orderBy(desc(renderJobs.createdAt))
    .limit(1)
    .as('last_render');
  const [projectRows, segmentRows] = await Promise.all([
    db
      .select({
        project: projects,
        renderId: lastRender.id,
        renderStatus: lastRender.status,
        renderFinishedAt: lastRender.finishedAt,
      })
      .from(projects)
      .leftJoinLateral(lastRender, sql`true`)
      .where(eq(projects.id, id)),
    db
      .select({
        segment: segments,
        output: {
          id: assets.id,
          durationSeconds: assets.durationSeconds,
          width: assets.width,
          height: assets.height,
        },
      })
      .from(segments)
      .leftJoin(assets, eq(assets.id, segments.outputAssetId))
      .where(eq(segments.projectId, id))
      .orderBy(asc(segments.position)),
  ]);
  const first = projectRows[0];
  if (!first) throw notFound('Project', id);
  const segs = segmentRows.map((r) => serializeSegment(r.segment, r.output as AssetSummary | null));
  const render: LastRenderRow | null = first.renderId
    ? {
        id: first.renderId,
        status: first.renderStatus as RenderJobStatus,
        finishedAt: first.renderFinishedAt,
      }
    : null;
  const project = serializeProject(first.project, countStatuses(segs.map((s) => s.status)), render);
  return { ...project, segments: segs };
}

export async function getProject(db: Executor, id: string): Promise<Project> {
  const row = await getProjectRow(db, id);
  const [statusRows, lastRender] = await Promise.all([
    db.select({ status: segments.status }).from(segments).where(eq(segments.projectId, row.id)),
    findLastRender(db, row.id),
  ]);
  return serializeProject(row, countStatuses(statusRows.map((r) => r.status as SegmentStatus)), lastRender);
}

export async function updateProject(db: Executor, id: string, patch: UpdateProjectInput): Promise<Project> {
  if (!isUuid(id)) throw notFound('Project', id);
  const set: Partial<typeof projects.$inferInsert> = { updatedAt: sql`now()` as never };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.settings !== undefined) {
    // jsonb || merges the given keys into the stored settings in one statement.
    set.settings = sql`${projects.settings} || ${JSON.stringify(patch.settings)}::jsonb` as never;
  }
  const [row] = await db.update(projects).set(set).where(eq(projects.id, id)).returning();
  if (!row) throw notFound('Project', id);
  return getProject(db, row.id);
}

/**
 * Deletes the project; its segments, render jobs, attempts and asset rows go with it (foreign
 * keys cascade). Stored files are the caller's to remove. Returns the asset storage keys it had.
 */
export async function deleteProject(db: Executor, id: string): Promise<{ storageKeys: string[] }> {
  if (!isUuid(id)) throw notFound('Project', id);
  return db.transaction(async (tx) => {
    const keys = await tx
      .select({ storageKey: assets.storageKey })
      .from(assets)
      .where(and(eq(assets.projectId, id)));
    const deleted = await tx.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
    if (deleted.length === 0) throw notFound('Project', id);
    return { storageKeys: keys.map((k) => k.storageKey) };
  });
}
