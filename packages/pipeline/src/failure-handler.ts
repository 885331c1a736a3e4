import { AppError, type ErrorCode, isAppError, toAppError, toErrorRecord, truncate } from '@framesmith/core';
import type { SegmentRow } from '@framesmith/db';
import {
  type AttemptRow,
  closeAttempt,
  earlierRunCodes,
  type FailureRecord,
  settleFailedGeneration,
} from '@framesmith/db/queries/attempts';
import type { PipelineContext } from './context.ts';
import { publishSegment } from './events.ts';
import type { JobOutcome } from './job-registry.ts';
import { advanceRenderJob } from './render-progress.ts';
import { decideAfterFailure } from './retry-decision.ts';

/**
 * The one place a failed generation attempt is handled (the seed's section 3): it classifies
 * the error (a classified AppError, a timeout, or an unexpected exception), asks the retry
 * decision what happens next, writes the attempt row and the segment's error fields (message
 * for people, detail for operators, retryable), schedules the next attempt or fails the
 * segment, logs one line with everything an operator needs, and publishes the change.
 */

/** Why a running generation was stopped on purpose by the user. */
export class SegmentCancelled extends Error {
  constructor() {
    super('The segment was cancelled');
    this.name = 'SegmentCancelled';
  }
}

export interface AttemptContext {
  segment: SegmentRow;
  attempt: AttemptRow;
  promptId: string;
  backend: string | null;
  /** Set when the user cancelled this segment while the attempt ran. */
  cancelled: boolean;
}

type Branch = 'classified' | 'timeout' | 'unexpected' | 'cancelled';

function classify(error: unknown, run: AttemptContext): { error: AppError; branch: Branch } {
  const where = { ...(run.backend ? { backend: run.backend } : {}), promptId: run.promptId };
  if (run.cancelled || error instanceof SegmentCancelled) {
    return {
      branch: 'cancelled',
      error: new AppError('COMFYUI_INTERRUPTED', { detail: { ...where, reason: 'cancelled by the user' } }),
    };
  }
  if (isAppError(error)) {
    return {
      branch: 'classified',
      error: new AppError(error.code, {
        cause: error,
        detail: { ...error.detail, ...where },
        message: error.userMessage,
        tips: error.tips,
        retryable: error.retryable,
      }),
    };
  }
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError') {
    return {
      branch: 'timeout',
      error: new AppError('COMFYUI_TIMEOUT', {
        cause: error,
        detail: {
          ...where,
          reason: 'a step of the generation timed out',
          exceptionMessage: truncate(String((error as Error).message), 500),
        },
      }),
    };
  }
  return { branch: 'unexpected', error: toAppError(error, where) };
}

export async function handleGenerationFailure(
  ctx: PipelineContext,
  run: AttemptContext,
  thrown: unknown,
): Promise<JobOutcome> {
  const { db } = ctx.database;
  const { error, branch } = classify(thrown, run);
  const lifetime = run.attempt.attempt;
  const earlierCodes: ErrorCode[] = await earlierRunCodes(db, run.segment.id, lifetime, run.segment.attempt);
  const decision = decideAfterFailure(
    {
      code: error.code,
      retryable: error.retryable,
      cancelled: branch === 'cancelled',
      attempt: run.segment.attempt,
      earlierCodes,
    },
    ctx.policy,
    ctx.random,
  );
  const record: FailureRecord = { ...toErrorRecord(error), detail: { ...error.detail, attempt: lifetime } };
  const log = {
    segmentId: run.segment.id,
    renderJobId: run.segment.renderJobId,
    projectId: run.segment.projectId,
    backend: run.backend,
    promptId: run.promptId,
    code: error.code,
    attempt: run.segment.attempt,
    maxAttempts: run.segment.maxAttempts,
    retryable: error.retryable,
    decision: decision.action,
    branch,
  };
  if (branch === 'unexpected') {
    // The stack goes to the log only; the user sees the taxonomy's message.
    const cause = error.cause instanceof Error ? error.cause : undefined;
    ctx.logger.error({ ...log, err: cause, stack: cause?.stack }, 'generation failed unexpectedly');
  } else if (branch === 'cancelled') {
    ctx.logger.info(log, 'generation cancelled');
  } else {
    ctx.logger.warn({ ...log, detail: record.detail }, `generation failed: ${error.code}`);
  }

  await closeAttempt(db, run.attempt.id, decision.action === 'cancelled' ? 'cancelled' : 'failed', record);
  if (decision.action === 'cancelled') {
    await advanceRenderJob(ctx, run.segment.renderJobId);
    return { outcome: 'cancelled' };
  }
  const retryAt = decision.action === 'retry' ? new Date(Date.now() + decision.delayMs) : null;
  const settled = await settleFailedGeneration(
    db,
    run.segment.id,
    run.promptId,
    record,
    retryAt ? { retryAt } : null,
  );
  if (!settled) {
    // Cancelled or changed while the failure was handled: nothing more to do for this attempt.
    await advanceRenderJob(ctx, run.segment.renderJobId);
    return { outcome: 'cancelled' };
  }
  await publishSegment(ctx.database, settled, undefined, ctx.logger);
  if (decision.action === 'retry' && retryAt) {
    await ctx.queue.send(
      'segment-generate',
      { segmentId: settled.id, renderJobId: settled.renderJobId },
      { startAfter: retryAt },
    );
    return { outcome: 'retry-scheduled', delayMs: decision.delayMs };
  }
  await advanceRenderJob(ctx, settled.renderJobId);
  return { outcome: 'failed', code: error.code };
}
