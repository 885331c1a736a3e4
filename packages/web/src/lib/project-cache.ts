import type { ProjectWithSegments, RenderJob, Segment, StatusCounts } from '@framesmith/core/api-schemas';
import type { QueryClient } from '@tanstack/react-query';
import { queryKeys } from './query-keys.ts';

/**
 * Writes to the cached project (with its segments) and its render jobs. Used by mutations (their
 * answers) and by the live event stream, so both land in the same place.
 */

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

/** Inserts or replaces a segment; an older copy (by updatedAt) never overwrites a newer one. */
export function upsertSegment(qc: QueryClient, segment: Segment): void {
  qc.setQueryData<ProjectWithSegments>(queryKeys.project(segment.projectId), (project) => {
    if (!project) return project;
    const existing = project.segments.find((s) => s.id === segment.id);
    if (existing && isOlder(segment.updatedAt, existing.updatedAt)) return project;
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

export function upsertRenderJob(qc: QueryClient, job: RenderJob): void {
  let newest = true;
  qc.setQueryData<RenderJob[]>(queryKeys.renderJobs(job.projectId), (jobs) => {
    if (!jobs) return jobs;
    const existing = jobs.find((j) => j.id === job.id);
    if (existing && isOlder(job.updatedAt, existing.updatedAt)) return jobs;
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

function isOlder(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isFinite(ta) && Number.isFinite(tb) && ta < tb;
}
