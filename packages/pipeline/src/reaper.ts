import { AppError } from '@framesmith/core';
import { findRunningAttempt, staleSegments } from '@framesmith/db/queries/attempts';
import { listActiveRenderJobRows } from '@framesmith/db/queries/render-jobs';
import type { PipelineContext } from './context.ts';
import { handleGenerationFailure } from './failure-handler.ts';
import { advanceRenderJob } from './render-progress.ts';

/**
 * The safety net that keeps "nothing is ever stuck" true across crashes: a queued segment
 * without a queue job gets one; a generating segment whose job the queue gave up on (its
 * workers kept dying; the job is in the dead-letter queue) fails with INTERNAL_ERROR through
 * the one failure handler; every active render job is re-accounted; a compositing job without
 * a composition job gets one. Every step is guarded, so several reapers may run at once.
 */
export interface ReaperReport {
  requeued: number;
  failed: number;
  recomposed: number;
  advanced: number;
}

export interface Reaper {
  sweep(): Promise<ReaperReport>;
  stop(): void;
}

export function startReaper(
  ctx: PipelineContext,
  options: { intervalMs: number; graceMs: number; isRunningHere: (segmentId: string) => boolean },
): Reaper {
  const { db } = ctx.database;

  async function sweepOnce(): Promise<ReaperReport> {
    const report: ReaperReport = { requeued: 0, failed: 0, recomposed: 0, advanced: 0 };
    const queued = await staleSegments(db, 'queued', options.graceMs);
    if (queued.length > 0) {
      const live = await ctx.queue.liveKeys(
        'segment-generate',
        queued.map((s) => s.id),
      );
      for (const s of queued.filter((q) => !live.has(q.id))) {
        const later = s.nextAttemptAt && s.nextAttemptAt > new Date();
        await ctx.queue.send(
          'segment-generate',
          { segmentId: s.id, renderJobId: s.renderJobId },
          later ? { startAfter: s.nextAttemptAt! } : {},
        );
        report.requeued++;
      }
    }
    const generating = (await staleSegments(db, 'generating', options.graceMs)).filter(
      (s) => !options.isRunningHere(s.id),
    );
    if (generating.length > 0) {
      const live = await ctx.queue.liveKeys(
        'segment-generate',
        generating.map((s) => s.id),
      );
      for (const s of generating.filter((g) => !live.has(g.id))) {
        const attempt = s.promptId ? await findRunningAttempt(db, s.id, s.promptId) : null;
        if (!attempt) continue;
        await handleGenerationFailure(
          ctx,
          { segment: s, attempt, promptId: s.promptId!, backend: s.backend, cancelled: false },
          new AppError('INTERNAL_ERROR', {
            detail: {
              reason: 'the workers running this segment stopped repeatedly and the queue gave up on it',
            },
          }),
        );
        report.failed++;
      }
    }
    for (const job of await listActiveRenderJobRows(db)) {
      if (job.status === 'compositing') {
        const stale = Date.now() - job.updatedAt.getTime() > options.graceMs;
        if (stale && (await ctx.queue.liveKeys('render-compose', [job.id])).size === 0) {
          await ctx.queue.send('render-compose', { renderJobId: job.id });
          report.recomposed++;
        }
      } else {
        const after = await advanceRenderJob(ctx, job.id);
        if (after && after.status !== job.status) report.advanced++;
      }
    }
    if (report.requeued + report.failed + report.recomposed + report.advanced > 0) {
      ctx.logger.info({ ...report }, 'reaper repaired state');
    }
    return report;
  }

  // A sweep asked for while one runs starts after it, so it sees the state as of the request.
  let inFlight = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const sweep = (): Promise<ReaperReport> => {
    inFlight++;
    const next = chain.then(sweepOnce).finally(() => {
      inFlight--;
    });
    chain = next.catch(() => {});
    return next;
  };

  const timer = setInterval(() => {
    if (inFlight > 0) return;
    sweep().catch((err: unknown) => ctx.logger.warn({ err }, 'reaper sweep failed'));
  }, options.intervalMs);
  timer.unref();

  return {
    sweep,
    stop: () => clearInterval(timer),
  };
}
