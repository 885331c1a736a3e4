import { ERROR_TAXONOMY, ErrorCode } from '@framesmith/core';
import {
  findRenderJobRow,
  findRenderJobWithTally,
  moveRenderJob,
  type RenderJobRow,
  renderSegmentStates,
  tallyOf,
} from '@framesmith/db/queries/render-jobs';
import type { PipelineContext } from './context.ts';
import { publishRenderJob } from './events.ts';
import { decideRenderStep } from './render-accounting.ts';

/**
 * Announces a queued or generating render job's new counts, and moves it on once its segments
 * allow it: to compositing (and queues the composition), to failed with a summary, or to
 * cancelled. Called after every segment change and by the reaper; every move is guarded, so
 * concurrent callers agree.
 */
/** The segments were read before the move: it happens only if none has been (re)queued since. */
const SETTLED = { settled: true };

export async function advanceRenderJob(
  ctx: PipelineContext,
  renderJobId: string | null,
): Promise<RenderJobRow | null> {
  if (!renderJobId) return null;
  const { db } = ctx.database;
  // Read with its segments counted (one row per status, not per segment): while any segment is
  // still queued or generating, the job only announces its new counts and progress.
  const found = await findRenderJobWithTally(db, renderJobId);
  if (!found) return null;
  const { job, tally } = found;
  if (job.status !== 'queued' && job.status !== 'generating') return job;
  if (tally.some((t) => t.status === 'queued' || t.status === 'generating')) {
    await publishRenderJob(ctx.database, job, ctx.logger, tally);
    return job;
  }
  const states = await renderSegmentStates(db, job.segmentIds);
  const step = decideRenderStep(states);
  let moved: RenderJobRow | null = null;
  switch (step.step) {
    case 'wait':
      // A segment was queued again between the two reads.
      await publishRenderJob(ctx.database, job, ctx.logger, tallyOf(states));
      return job;
    case 'compose':
      moved = await moveRenderJob(db, job.id, ['queued', 'generating'], 'compositing', {}, SETTLED);
      if (moved) await ctx.queue.send('render-compose', { renderJobId: job.id });
      break;
    case 'fail': {
      const code = ErrorCode.safeParse(step.firstError?.code);
      moved = await moveRenderJob(
        db,
        job.id,
        ['queued', 'generating'],
        'failed',
        {
          summary: step.summary,
          errorCode: code.success ? code.data : 'INTERNAL_ERROR',
          errorMessage: step.firstError?.message ?? (code.success ? ERROR_TAXONOMY[code.data].message : null),
          errorDetail: { reason: step.summary },
        },
        SETTLED,
      );
      break;
    }
    case 'cancel':
      moved = await moveRenderJob(
        db,
        job.id,
        ['queued', 'generating'],
        'cancelled',
        { summary: step.summary },
        SETTLED,
      );
      break;
  }
  if (!moved) return findRenderJobRow(db, renderJobId);
  ctx.logger.info(
    { renderJobId: job.id, projectId: job.projectId, status: moved.status, summary: moved.summary },
    'render job moved',
  );
  await publishRenderJob(ctx.database, moved, ctx.logger);
  return moved;
}

/** Render-job accounting after a segment completed, settled a moment later (see deferAdvances). */
export interface DeferredAdvances {
  /** Accounts the render job within `delayMs`; several calls for one job meanwhile make one. */
  soon(renderJobId: string | null): void;
  /** Accounts every render job still waiting, now (a stopping worker). */
  flush(): Promise<void>;
}

/**
 * A completed segment's render job is accounted (its counts announced, composition queued after
 * the last) `delayMs` after the segment's own event, not before its queue job ends: the worker
 * then hands its slot to the next segment at once, and a run of completions is counted once.
 * A crash in between loses nothing: the reaper accounts every active render job.
 */
export function deferAdvances(ctx: PipelineContext, delayMs: number): DeferredAdvances {
  const waiting = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  const advance = (renderJobId: string) => {
    waiting.delete(renderJobId);
    const run = advanceRenderJob(ctx, renderJobId)
      .catch((err: unknown) => ctx.logger.warn({ err, renderJobId }, 'could not account a render job'))
      .finally(() => running.delete(run));
    running.add(run);
  };
  return {
    soon(renderJobId) {
      if (!renderJobId || waiting.has(renderJobId)) return;
      waiting.set(
        renderJobId,
        setTimeout(() => advance(renderJobId), delayMs),
      );
    },
    async flush() {
      for (const [renderJobId, timer] of waiting) {
        clearTimeout(timer);
        advance(renderJobId);
      }
      await Promise.all(running);
    },
  };
}
