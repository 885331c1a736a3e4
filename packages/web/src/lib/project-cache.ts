import type { ProjectWithSegments, RenderJob, Segment, StatusCounts } from '@framesmith/core/api-schemas';
import type { QueryClient } from '@tanstack/react-query';
import { queryKeys } from './query-keys.ts';

/**
 * Writes to the cached project (with its segments) and its render jobs, from the live event
 * stream and from REST answers, so both land in the same place.
 *
 * Which copy wins: events arrive in commit order (one NOTIFY channel, one stream), so an event
 * always applies. A REST answer is a snapshot taken some time after its request left; if an event
 * about the same row arrived after that moment, the snapshot may be older than what is shown, and
 * the event's copy is kept (any later change brings its own event). `updatedAt` cannot decide this:
 * PostgreSQL's now() is the transaction's start, so a later commit can carry an earlier time.
 */

/** What a write comes from: the stream, or an answer to a request sent at `requestedAt` (see `clock`). */
export type Source = { kind: 'event' } | { kind: 'answer'; requestedAt: number };
export const FROM_EVENT: Source = { kind: 'event' };

export const clock = (): number => performance.now();

const lastEvents = new WeakMap<QueryClient, Map<string, number>>();

function eventTimes(qc: QueryClient): Map<string, number> {
  let times = lastEvents.get(qc);
  if (!times) {
    times = new Map();
    lastEvents.set(qc, times);
  }
  return times;
}

/** Whether an event about this row arrived after `time` (so an answer from then may be stale). */
export function changedSince(qc: QueryClient, id: string, time: number): boolean {
  return (eventTimes(qc).get(id) ?? Number.NEGATIVE_INFINITY) > time;
}

/** Records the arrival of an event about a row, and says whether a write from `source` may apply. */
function admit(qc: QueryClient, id: string, source: Source): boolean {
  if (source.kind === 'event') {
    eventTimes(qc).set(id, clock());
    return true;
  }
  return !changedSince(qc, id, source.requestedAt);
}

export function countByStatus(segments: readonly Segment[]): StatusCounts & { total: number } {
  const counts = { pending: 0, queued: 0, generating: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
  for (const s of segments) {
    counts[s.status] += 1;
    counts.total += 1;
  }
  return counts;
}

function withSegments(project: ProjectWithSegments, segments: Segment[]): ProjectWithSegments {
  const ordered = [...segments].sort((a, b) => a.position - b.position);
  return { ...project, segments: ordered, counts: countByStatus(ordered) };
}

/** Inserts or replaces a segment (see the module comment for which copy wins). */
export function upsertSegment(qc: QueryClient, segment: Segment, source: Source = FROM_EVENT): void {
  if (!admit(qc, segment.id, source)) return;
  qc.setQueryData<ProjectWithSegments>(queryKeys.project(segment.projectId), (project) => {
    if (!project) return project;
    const existing = project.segments.find((s) => s.id === segment.id);
    const others = project.segments.filter((s) => s.id !== segment.id);
    // A segment inserted in the middle moves the ones after it down.
    const shifted = existing
      ? others
      : others.map((s) => (s.position >= segment.position ? { ...s, position: s.position + 1 } : s));
    return withSegments(project, [...shifted, segment]);
  });
}

export function removeSegment(qc: QueryClient, projectId: string, segmentId: string): void {
  qc.setQueryData<ProjectWithSegments>(queryKeys.project(projectId), (project) => {
    if (!project?.segments.some((s) => s.id === segmentId)) return project;
    const rest = project.segments
      .filter((s) => s.id !== segmentId)
      .sort((a, b) => a.position - b.position)
      .map((s, i) => (s.position === i ? s : { ...s, position: i }));
    return withSegments(project, rest);
  });
}

/** Applies a new order (ids first to last); ids not listed keep their relative order after. */
export function setSegmentOrder(qc: QueryClient, projectId: string, orderedIds: readonly string[]): void {
  qc.setQueryData<ProjectWithSegments>(queryKeys.project(projectId), (project) => {
    if (!project) return project;
    const rank = new Map(orderedIds.map((id, i) => [id, i]));
    const sorted = [...project.segments].sort(
      (a, b) =>
        (rank.get(a.id) ?? orderedIds.length + a.position) -
        (rank.get(b.id) ?? orderedIds.length + b.position),
    );
    return withSegments(
      project,
      sorted.map((s, i) => (s.position === i ? s : { ...s, position: i })),
    );
  });
}

export function upsertRenderJob(qc: QueryClient, job: RenderJob, source: Source = FROM_EVENT): void {
  if (!admit(qc, job.id, source)) return;
  let newest = true;
  qc.setQueryData<RenderJob[]>(queryKeys.renderJobs(job.projectId), (jobs) => {
    if (!jobs) return jobs;
    const next = [job, ...jobs.filter((j) => j.id !== job.id)].sort((a, b) =>
      b.createdAt.localeCompare(a.createdAt),
    );
    newest = next[0]?.id === job.id;
    return next;
  });
  if (!newest) return;
  qc.setQueryData<ProjectWithSegments>(queryKeys.project(job.projectId), (project) =>
    project
      ? { ...project, lastRender: { id: job.id, status: job.status, finishedAt: job.finishedAt } }
      : project,
  );
}

/**
 * A refetched project, merged with what the stream delivered while the request was out: rows an
 * event touched after `requestedAt` keep the event's copy; a row created meanwhile stays.
 */
export function mergeFetchedProject(
  qc: QueryClient,
  fetched: ProjectWithSegments,
  requestedAt: number,
): ProjectWithSegments {
  const current = qc.getQueryData<ProjectWithSegments>(queryKeys.project(fetched.id));
  if (!current) return fetched;
  const cached = new Map(current.segments.map((s) => [s.id, s]));
  const merged = fetched.segments.map((s) =>
    changedSince(qc, s.id, requestedAt) ? (cached.get(s.id) ?? s) : s,
  );
  const fetchedIds = new Set(fetched.segments.map((s) => s.id));
  for (const s of current.segments) {
    if (!fetchedIds.has(s.id) && changedSince(qc, s.id, requestedAt)) merged.push(s);
  }
  return withSegments(fetched, merged);
}

export function mergeFetchedRenderJobs(
  qc: QueryClient,
  projectId: string,
  fetched: RenderJob[],
  requestedAt: number,
): RenderJob[] {
  const current = qc.getQueryData<RenderJob[]>(queryKeys.renderJobs(projectId));
  if (!current) return fetched;
  const cached = new Map(current.map((j) => [j.id, j]));
  const merged = fetched.map((j) => (changedSince(qc, j.id, requestedAt) ? (cached.get(j.id) ?? j) : j));
  const fetchedIds = new Set(fetched.map((j) => j.id));
  for (const j of current) if (!fetchedIds.has(j.id) && changedSince(qc, j.id, requestedAt)) merged.push(j);
  return merged.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
