import { z } from 'zod';

/**
 * The jobs the pipeline runs: each name with the zod schema of its payload (STYLE §10).
 * Producers import only this file; handlers are registered in job-registry.ts.
 */
export const JOB_PAYLOADS = {
  /** Generate one segment's clip (one attempt). */
  'segment-generate': z.object({ segmentId: z.uuid(), renderJobId: z.uuid().nullable() }),
  /** Join a render's clips into the final video. */
  'render-compose': z.object({ renderJobId: z.uuid() }),
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_PAYLOADS)[N]>;
export const JOB_NAMES = Object.keys(JOB_PAYLOADS) as JobName[];

/** Jobs that exhausted the queue's own retries (a worker died each time) are moved here and kept. */
export const DEAD_LETTER_QUEUE = 'dead-letter';
