import type { RenderSegmentState } from '@framesmith/db/queries/render-jobs';

/**
 * What a render job does next, derived from its segments' states alone (no counters that
 * drift). Pure; render-progress.ts applies it with guarded transitions.
 */
export type RenderStep =
  | { step: 'wait' }
  | { step: 'compose' }
  | { step: 'fail'; summary: string; firstError: { code: string; message: string | null } | null }
  | { step: 'cancel'; summary: string };

export function decideRenderStep(states: readonly RenderSegmentState[]): RenderStep {
  if (states.length === 0) return { step: 'cancel', summary: 'Every segment of this render was deleted.' };
  if (states.some((s) => s.status === 'queued' || s.status === 'generating')) return { step: 'wait' };
  if (states.every((s) => s.status === 'completed' && s.outputAssetId !== null)) return { step: 'compose' };
  const total = states.length;
  const failed = states.filter((s) => s.status === 'failed');
  const completed = states.filter((s) => s.status === 'completed').length;
  if (failed.length > 0) {
    const codes = new Map<string, number>();
    for (const s of failed)
      codes.set(s.errorCode ?? 'unknown', (codes.get(s.errorCode ?? 'unknown') ?? 0) + 1);
    const byCode = [...codes].map(([code, n]) => `${code} ×${n}`).join(', ');
    const first = failed[0]!;
    return {
      step: 'fail',
      summary: `${failed.length} of ${total} segment${total === 1 ? '' : 's'} failed (${byCode}); ${completed} completed.`,
      firstError: first.errorCode ? { code: first.errorCode, message: first.errorMessage } : null,
    };
  }
  const cancelled = states.filter((s) => s.status === 'cancelled').length;
  const changed = total - completed - cancelled;
  const parts = [
    cancelled > 0 ? `${cancelled} cancelled` : null,
    changed > 0 ? `${changed} edited during the render` : null,
  ].filter(Boolean);
  return {
    step: 'cancel',
    summary: `${parts.join(' and ')} of ${total} segment${total === 1 ? '' : 's'}; ${completed} completed. Render again to finish the video.`,
  };
}
