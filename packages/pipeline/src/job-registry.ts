import { JOB_NAMES, JOB_PAYLOADS, type JobName, type JobPayload } from './job-names.ts';

/**
 * One handler per job name, checked at startup: a name without a handler stops the worker
 * before it takes any job. Handlers return an explicit outcome; they throw only when the
 * infrastructure failed (the database), which the queue retries.
 */
export type JobOutcome =
  | { outcome: 'completed' }
  | { outcome: 'retry-scheduled'; delayMs: number }
  | { outcome: 'failed'; code: string }
  | { outcome: 'cancelled' }
  | { outcome: 'skipped'; reason: string };

export interface JobContext {
  /** The queue's job id (also the generation attempt's id). */
  jobId: string;
  /** Times the queue has taken this job before (a crash recovery when > 0). */
  retryCount: number;
  /** Aborted when the worker stops or the queue has given the job to someone else. */
  signal: AbortSignal;
}

export type JobHandler<N extends JobName> = (
  payload: JobPayload<N>,
  context: JobContext,
) => Promise<JobOutcome>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export class MissingJobHandlerError extends Error {
  constructor(names: string[]) {
    super(`No handler registered for job(s): ${names.join(', ')}`);
    this.name = 'MissingJobHandlerError';
  }
}

export function checkHandlers(handlers: Partial<JobHandlers>): JobHandlers {
  const missing = JOB_NAMES.filter((n) => typeof handlers[n] !== 'function');
  if (missing.length > 0) throw new MissingJobHandlerError(missing);
  return handlers as JobHandlers;
}

/** Validates a payload read from the queue; throws a readable error for a malformed one. */
export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const result = JOB_PAYLOADS[name].safeParse(data);
  if (!result.success) {
    throw new Error(`Malformed ${name} payload: ${result.error.issues.map((i) => i.message).join('; ')}`);
  }
  return result.data as JobPayload<N>;
}
