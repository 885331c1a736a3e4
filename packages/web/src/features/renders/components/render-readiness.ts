import type { RenderJob, Segment } from '@framesmith/core/api-schemas';
import { isActiveRenderJob } from '@framesmith/core/status';

export type Readiness = { canRender: true; reason: null } | { canRender: false; reason: string };

/** Whether the Render button does anything now, and if not, why (shown beside it). */
export function renderReadiness(segments: readonly Segment[], jobs: readonly RenderJob[]): Readiness {
  if (segments.length === 0) return { canRender: false, reason: 'Add a segment to render.' };
  const latest = jobs[0];
  if (latest && isActiveRenderJob(latest.status))
    return { canRender: false, reason: 'A render is in progress.' };
  if (segments.some((s) => s.status === 'queued' || s.status === 'generating')) {
    return { canRender: false, reason: 'Segments are still generating.' };
  }
  if (latest?.status === 'completed' && latest.output && segments.every((s) => s.status === 'completed')) {
    const sameOrder =
      latest.segmentIds.length === segments.length &&
      latest.segmentIds.every((id, i) => segments[i]?.id === id);
    const finished = Date.parse(latest.finishedAt ?? latest.updatedAt);
    const unchanged = segments.every((s) => Date.parse(s.updatedAt) <= finished);
    if (sameOrder && unchanged) {
      return {
        canRender: false,
        reason: 'Up to date: the final video has every change. Edit a segment to render again.',
      };
    }
  }
  return { canRender: true, reason: null };
}

/** What the segments would do on Render, for the button's description. */
export function renderPlan(segments: readonly Segment[]): string {
  const toGenerate = segments.filter((s) => s.status !== 'completed').length;
  const needChange = segments.filter((s) => s.status === 'failed' && s.error && !s.error.retryable).length;
  const warning =
    needChange === 0
      ? ''
      : ` ${needChange === 1 ? '1 segment has' : `${needChange} segments have`} an error that needs a change first, or it fails again.`;
  const clips = `${toGenerate} clip${toGenerate === 1 ? '' : 's'}`;
  if (toGenerate === 0) return 'Every clip is ready: Render joins them into the final video.';
  if (toGenerate === segments.length) return `Generates ${clips}, then joins them.${warning}`;
  return `Generates ${clips} (${segments.length - toGenerate} ready), then joins them.${warning}`;
}
