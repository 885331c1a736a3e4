import type { Config } from '@framesmith/core';
import type { Database } from '@framesmith/db';
import type { Logger } from './logger.ts';
import type { JobQueue } from './queue.ts';
import type { RetryPolicy } from './retry-decision.ts';
import type { Storage } from './storage.ts';

/** What the render service and the workers share; built once by startPipeline. */
export interface PipelineContext {
  database: Database;
  config: Config;
  queue: JobQueue;
  storage: Storage;
  logger: Logger;
  policy: RetryPolicy;
  /** Jitter source of retry delays (tests pin it). */
  random: () => number;
}
