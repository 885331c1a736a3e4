import { z } from 'zod';

/** Segment lifecycle (ARCHITECTURE §6). */
export const SegmentStatus = z.enum(['pending', 'queued', 'generating', 'completed', 'failed', 'cancelled']);
export type SegmentStatus = z.infer<typeof SegmentStatus>;

/** Render job lifecycle (ARCHITECTURE §6). */
export const RenderJobStatus = z.enum([
  'queued',
  'generating',
  'compositing',
  'completed',
  'failed',
  'cancelled',
]);
export type RenderJobStatus = z.infer<typeof RenderJobStatus>;

/*
 * Transitions are not a table here: each one is a single guarded UPDATE … WHERE status IN (…)
 * beside its table in packages/db/src/queries, and packages/pipeline/README.md draws both machines.
 */

export const ACTIVE_SEGMENT_STATUSES: readonly SegmentStatus[] = ['queued', 'generating'];
export const ACTIVE_RENDER_JOB_STATUSES: readonly RenderJobStatus[] = ['queued', 'generating', 'compositing'];
export const FINAL_RENDER_JOB_STATUSES: readonly RenderJobStatus[] = ['completed', 'failed', 'cancelled'];

export function isActiveRenderJob(status: RenderJobStatus): boolean {
  return ACTIVE_RENDER_JOB_STATUSES.includes(status);
}
