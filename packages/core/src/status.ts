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

/** Which states each state may move to. Every guarded UPDATE in db follows this table. */
export const SEGMENT_TRANSITIONS: Readonly<Record<SegmentStatus, readonly SegmentStatus[]>> = {
  pending: ['queued', 'cancelled'],
  queued: ['generating', 'cancelled', 'pending', 'failed', 'completed'],
  generating: ['completed', 'failed', 'queued', 'cancelled'],
  completed: ['pending', 'queued'],
  failed: ['queued', 'pending'],
  cancelled: ['queued', 'pending'],
};

export const RENDER_JOB_TRANSITIONS: Readonly<Record<RenderJobStatus, readonly RenderJobStatus[]>> = {
  queued: ['generating', 'compositing', 'failed', 'cancelled'],
  generating: ['compositing', 'failed', 'cancelled'],
  compositing: ['completed', 'failed', 'generating', 'cancelled'],
  completed: [],
  failed: ['generating'],
  cancelled: [],
};

export function canSegmentMove(from: SegmentStatus, to: SegmentStatus): boolean {
  return SEGMENT_TRANSITIONS[from].includes(to);
}

export function canRenderJobMove(from: RenderJobStatus, to: RenderJobStatus): boolean {
  return RENDER_JOB_TRANSITIONS[from].includes(to);
}

export const ACTIVE_SEGMENT_STATUSES: readonly SegmentStatus[] = ['queued', 'generating'];
export const ACTIVE_RENDER_JOB_STATUSES: readonly RenderJobStatus[] = ['queued', 'generating', 'compositing'];
export const FINAL_RENDER_JOB_STATUSES: readonly RenderJobStatus[] = ['completed', 'failed', 'cancelled'];

export function isActiveRenderJob(status: RenderJobStatus): boolean {
  return ACTIVE_RENDER_JOB_STATUSES.includes(status);
}
