import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  halfJitterGenerator,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  type RetryPolicy,
  retry,
} from 'cockatiel';
import { isTransientNetworkError } from './classifier.ts';

/**
 * Backoff and policy builders (ARCHITECTURE §9, call level). Call-level retries are kept short on
 * purpose: the job level (pipeline) already waits RETRY_BASE_DELAY_MS and up between attempts, so
 * a call only rides out a blip. With the default 2 s base the retry waits are ~100–200 ms and
 * ~200–400 ms, and a port with nothing listening fails in well under a second, not after the
 * job-level delays multiplied in.
 */

/** First call-level retry delay: a tenth of the job-level base, between 10 ms and 250 ms. */
export function callInitialDelayMs(retryBaseDelayMs: number): number {
  return Math.min(250, Math.max(10, Math.round(retryBaseDelayMs / 10)));
}

export const CALL_MAX_DELAY_MS = 1000;

/** Exponential backoff with jitter in [delay/2, delay) for call-level retries. */
export function callBackoff(retryBaseDelayMs: number): ExponentialBackoff<number> {
  return new ExponentialBackoff({
    generator: halfJitterGenerator,
    initialDelay: callInitialDelayMs(retryBaseDelayMs),
    maxDelay: CALL_MAX_DELAY_MS,
  });
}

/** Retry on connection errors and timeouts only; `attempts` counts the first try. */
export function callRetryPolicy(retryBaseDelayMs: number, attempts: number): RetryPolicy {
  return retry(handleWhen(isTransientNetworkError), {
    maxAttempts: Math.max(0, attempts - 1),
    backoff: callBackoff(retryBaseDelayMs),
  });
}

/**
 * Pure exponential backoff with jitter, used for WebSocket reconnects: attempt 0 waits about
 * `baseMs`, doubling to `maxMs`, each wait drawn from [delay/2, delay).
 */
export function jitteredBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

/** Wraps a backoff factory so the breaker's current open period can be read (cockatiel keeps it private). */
export class ObservedBackoff implements IBackoffFactory<unknown> {
  lastDuration = 0;
  readonly #inner: IBackoffFactory<unknown>;

  constructor(inner: IBackoffFactory<unknown>) {
    this.#inner = inner;
  }

  next(context: unknown): IBackoff<unknown> {
    return this.#wrap(this.#inner.next(context));
  }

  #wrap(b: IBackoff<unknown>): IBackoff<unknown> {
    this.lastDuration = b.duration;
    return { duration: b.duration, next: (ctx: unknown) => this.#wrap(b.next(ctx)) };
  }
}

export interface BreakerHandle {
  policy: CircuitBreakerPolicy;
  halfOpenAfter: ObservedBackoff;
}

/**
 * A per-backend breaker: opens after `threshold` consecutive connection failures, half-opens
 * after a backoff that starts at max(1 s, base) and doubles up to 60 s.
 */
export function backendBreaker(retryBaseDelayMs: number, threshold: number): BreakerHandle {
  const halfOpenAfter = new ObservedBackoff(
    new ExponentialBackoff({
      generator: halfJitterGenerator,
      initialDelay: Math.max(1000, retryBaseDelayMs),
      maxDelay: 60_000,
    }),
  );
  const policy = circuitBreaker(handleWhen(isTransientNetworkError), {
    halfOpenAfter,
    breaker: new ConsecutiveBreaker(threshold),
  });
  return { policy, halfOpenAfter };
}
