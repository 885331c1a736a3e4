import type { ErrorCode } from '@framesmith/core';

/**
 * What happens after a failed attempt: the one pure decision (STYLE §9). Job-level retries are
 * ours (a new queue job after the delay); the queue's own retries only cover a worker that died,
 * so the two layers never multiply.
 */
export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'fail' }
  | { action: 'cancelled' };

export interface RetryPolicy {
  /** Attempts in one run of a segment (GENERATION_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles for each later one (RETRY_BASE_DELAY_MS). */
  baseDelayMs: number;
  /** Upper bound of any one delay. */
  maxDelayMs: number;
  /** Spread of the delay: 0.25 gives ±25 %. */
  jitter: number;
}

export interface FailedAttempt {
  code: ErrorCode;
  retryable: boolean;
  /** The user cancelled the segment (or its render) while this attempt ran. */
  cancelled: boolean;
  /** 1-based attempt number within the current run. */
  attempt: number;
  /** Codes of the earlier failed attempts of this run, oldest first. */
  earlierCodes: readonly ErrorCode[];
}

export function retryPolicyFrom(config: {
  GENERATION_MAX_ATTEMPTS: number;
  RETRY_BASE_DELAY_MS: number;
}): RetryPolicy {
  return {
    maxAttempts: config.GENERATION_MAX_ATTEMPTS,
    baseDelayMs: config.RETRY_BASE_DELAY_MS,
    maxDelayMs: Math.max(config.RETRY_BASE_DELAY_MS, 5 * 60_000),
    jitter: 0.25,
  };
}

/** `random` returns a number in [0, 1); injected so tests can pin the jitter. */
export function decideAfterFailure(
  failed: FailedAttempt,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (failed.cancelled) return { action: 'cancelled' };
  if (!failed.retryable) return { action: 'fail' };
  if (failed.attempt >= policy.maxAttempts) return { action: 'fail' };
  // Out of memory is worth one more try (the GPU may have been shared), never two.
  if (failed.code === 'COMFYUI_OUT_OF_MEMORY' && failed.earlierCodes.includes('COMFYUI_OUT_OF_MEMORY')) {
    return { action: 'fail' };
  }
  return { action: 'retry', delayMs: backoffDelay(failed.attempt, policy, random) };
}

/** Exponential backoff with jitter: base · 2^(attempt−1), spread by ±jitter, capped. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, exponential * spread)));
}
