import {
  type Asset,
  type ErrorCode,
  type Project,
  type PublicError,
  type RenderJobStatus,
  type Segment,
  type SegmentStatus,
  type StatusCounts,
  type Workflow,
  toPublicError,
} from '@framesmith/core';
import type { assets, projects, segments, workflows } from './schema.ts';

/**
 * Row → API JSON, exactly as core's resource schemas. The server answers with these and the
 * pipeline publishes the same shapes in live events, so the browser sees one form of each resource.
 */

export type ProjectRow = typeof projects.$inferSelect;
export type SegmentRow = typeof segments.$inferSelect;
export type WorkflowRow = typeof workflows.$inferSelect;
export type AssetRow = typeof assets.$inferSelect;

/** The subset of an asset row a resource needs to show its output. */
export type AssetSummary = Pick<AssetRow, 'id' | 'durationSeconds' | 'width' | 'height'>;

/** Where the API serves a stored file's content. */
export function assetUrl(assetId: string): string {
  return `/api/assets/${assetId}/content`;
}

export function serializeAsset(asset: AssetSummary): Asset {
  return {
    assetId: asset.id,
    url: assetUrl(asset.id),
    durationSeconds: asset.durationSeconds,
    width: asset.width,
    height: asset.height,
  };
}

const iso = (d: Date | string): string =>
  typeof d === 'string' ? new Date(d).toISOString() : d.toISOString();
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

/** The public error of a failed row, or null. Technical detail is filtered and scrubbed by core. */
export function serializeRowError(row: {
  errorCode: string | null;
  errorMessage: string | null;
  errorTips?: string[] | null;
  errorDetail: unknown;
  retryable?: boolean | null;
  errorAt?: Date | null;
  updatedAt: Date;
}): PublicError | null {
  if (!row.errorCode) return null;
  return toPublicError(
    {
      code: row.errorCode as ErrorCode,
      message: row.errorMessage ?? '',
      tips: row.errorTips ?? null,
      retryable: row.retryable ?? false,
      detail: row.errorDetail ?? {},
    },
    row.errorAt ?? row.updatedAt,
  );
}

export function serializeSegment(row: SegmentRow, output: AssetSummary | null = null): Segment {
  return {
    id: row.id,
    projectId: row.projectId,
    position: row.position,
    prompt: row.prompt,
    negativePrompt: row.negativePrompt,
    params: row.params,
    workflowId: row.workflowId,
    inlineWorkflow: row.inlineWorkflow !== null,
    status: row.status,
    progress: row.progress,
    attempt: row.attempt,
    maxAttempts: row.maxAttempts,
    nextAttemptAt: isoOrNull(row.nextAttemptAt),
    queuePosition: row.queuePosition,
    backend: row.backend,
    error: serializeRowError(row),
    output: output ? serializeAsset(output) : null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export type ProjectCounts = Project['counts'];

export function emptyCounts(): ProjectCounts {
  return { pending: 0, queued: 0, generating: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
}

/** Counts by status from a list of statuses (or of segments). */
export function countStatuses(statuses: Iterable<SegmentStatus>): ProjectCounts {
  const counts = emptyCounts();
  for (const s of statuses) {
    counts[s satisfies keyof StatusCounts] += 1;
    counts.total += 1;
  }
  return counts;
}

export interface LastRenderRow {
  id: string;
  status: RenderJobStatus;
  finishedAt: Date | string | null;
}

export function serializeProject(
  row: ProjectRow,
  counts: ProjectCounts = emptyCounts(),
  lastRender: LastRenderRow | null = null,
): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    settings: row.settings,
    counts,
    lastRender: lastRender
      ? { id: lastRender.id, status: lastRender.status, finishedAt: isoOrNull(lastRender.finishedAt) }
      : null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function serializeWorkflow(row: WorkflowRow): Workflow {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    graph: row.graph,
    bindings: row.bindings,
    builtin: row.builtin,
    generationTimeoutMs: row.generationTimeoutMs,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
