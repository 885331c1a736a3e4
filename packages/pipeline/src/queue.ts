import { PgBoss } from 'pg-boss';
import type { Database } from '@framesmith/db';
import { DEAD_LETTER_QUEUE, JOB_NAMES, type JobName, type JobPayload } from './job-names.ts';
import { type JobHandlers, parsePayload } from './job-registry.ts';
import { type Logger, silentLogger } from './logger.ts';

/**
 * The durable queue: pg-boss 12 on the application's own database (PGlite through its SQL
 * adapter, PostgreSQL through a connection string). Jobs carry heartbeats, so the job of a
 * worker that died is failed by the queue's monitor and taken again within about 20 s.
 * The queue's own retries are only for that (and for database outages): generation retries
 * are scheduled by the segment worker as new jobs, so the two never multiply.
 */

export interface QueueTuning {
  /** Heartbeat of an active job, in seconds (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** How often the monitor looks for stale heartbeats and expired jobs. */
  superviseIntervalSeconds: number;
  /** Idle poll; jobs sent for now also wake workers by NOTIFY. */
  pollingIntervalSeconds: number;
  /** Longest a job may stay active. */
  expireInSeconds: number;
  /** The queue's own retries of a job whose worker died or whose handler threw (doubling delay). */
  retryLimit: number;
  retryDelaySeconds: number;
}

export const DEFAULT_TUNING: QueueTuning = {
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 5,
  pollingIntervalSeconds: 1,
  expireInSeconds: 3600,
  retryLimit: 3,
  retryDelaySeconds: 2,
};

export interface DeadLetter {
  id: string;
  queue: string | null;
  sourceId: string | null;
  data: unknown;
  error: unknown;
  retries: number | null;
  createdOn: string;
}

export interface SendOptions {
  startAfter?: Date;
}

export class JobQueue {
  readonly boss: PgBoss;
  readonly tuning: QueueTuning;
  private readonly logger: Logger;
  private stopped = false;
  private stopping = false;

  private constructor(boss: PgBoss, tuning: QueueTuning, logger: Logger) {
    this.boss = boss;
    this.tuning = tuning;
    this.logger = logger;
  }

  /** Installs or migrates the queue schema and creates the queues; safe to run from many processes. */
  static async start(
    database: Database,
    options: { tuning?: Partial<QueueTuning>; logger?: Logger; instanceName?: string } = {},
  ): Promise<JobQueue> {
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    const logger = options.logger ?? silentLogger;
    const common = {
      useListenNotify: true,
      superviseIntervalSeconds: tuning.superviseIntervalSeconds,
      monitorIntervalSeconds: tuning.superviseIntervalSeconds,
      instanceName: options.instanceName ?? 'framesmith',
    };
    const conn = database.queueConnection;
    const boss =
      'connectionString' in conn
        ? new PgBoss({ ...common, connectionString: conn.connectionString, max: 5 })
        : new PgBoss({
            ...common,
            backend: 'pglite',
            // The embedded database runs no autovacuum, so pg-boss's check that vacuum keeps up (a
            // statistics scan in every supervise pass, 3-6 ms of this thread) could only ever warn.
            monitorVacuum: false,
            db: {
              executeSql: conn.executeSql as (text: string, values?: unknown[]) => Promise<{ rows: never[] }>,
              // Lets NOTIFY wake idle workers at once instead of at their next poll.
              async listen(channel, onNotification, onReconnect) {
                const unlisten = await database.listen(channel, onNotification);
                // After a lost notification connection, poll once for jobs whose NOTIFY was missed.
                const stopResets = database.onListenReset?.(onReconnect);
                onReconnect();
                return {
                  close: async () => {
                    stopResets?.();
                    await unlisten();
                  },
                };
              },
            },
          });
    boss.on('error', (err: unknown) => logger.warn({ err }, 'job queue error'));
    boss.on('warning', (w: unknown) => logger.debug({ warning: w }, 'job queue warning'));
    await boss.start();
    const queue = new JobQueue(boss, tuning, logger);
    await queue.createQueues();
    return queue;
  }

  private async createQueues(): Promise<void> {
    const existing = new Set((await this.boss.getQueues()).map((q) => q.name));
    if (!existing.has(DEAD_LETTER_QUEUE)) {
      await this.boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: 30 * 24 * 3600 });
    }
    for (const name of JOB_NAMES) {
      const options = {
        heartbeatSeconds: this.tuning.heartbeatSeconds,
        expireInSeconds: this.tuning.expireInSeconds,
        retryLimit: this.tuning.retryLimit,
        retryDelay: this.tuning.retryDelaySeconds,
        retryBackoff: this.tuning.retryDelaySeconds > 0,
        deadLetter: DEAD_LETTER_QUEUE,
        notify: true,
      };
      if (existing.has(name)) await this.boss.updateQueue(name, options);
      else await this.boss.createQueue(name, options);
    }
  }

  async send<N extends JobName>(name: N, payload: JobPayload<N>, options: SendOptions = {}): Promise<string> {
    const id = await this.boss.send(name, payload, {
      singletonKey: keyOf(payload),
      ...(options.startAfter ? { startAfter: options.startAfter } : {}),
    });
    if (!id) throw new Error(`The queue refused a ${name} job`);
    return id;
  }

  /**
   * Queues many jobs of one kind in one statement (a render's segments), each as `send` would:
   * keyed by its segment or render job, with the queue's settings; all or none. Throws, as
   * `send` does, if the queue did not take every one (these queues' policy takes any key today).
   */
  async sendMany<N extends JobName>(
    name: N,
    jobs: readonly { payload: JobPayload<N>; startAfter?: Date }[],
  ): Promise<string[]> {
    if (jobs.length === 0) return [];
    const ids = await this.boss.insert(
      name,
      jobs.map(({ payload, startAfter }) => ({
        data: payload,
        singletonKey: keyOf(payload),
        ...(startAfter ? { startAfter } : {}),
      })),
      { returnId: true },
    );
    const taken = ids ?? [];
    if (taken.length !== jobs.length) {
      throw new Error(`The queue refused ${jobs.length - taken.length} of ${jobs.length} ${name} jobs`);
    }
    return taken;
  }

  /** Starts taking jobs: `concurrency[name]` at a time in this process. */
  async work(handlers: JobHandlers, concurrency: Record<JobName, number>): Promise<void> {
    for (const name of JOB_NAMES) {
      const handler = handlers[name] as (
        p: unknown,
        c: Parameters<JobHandlers[JobName]>[1],
      ) => ReturnType<JobHandlers[JobName]>;
      await this.boss.work(
        name,
        {
          localConcurrency: concurrency[name],
          pollingIntervalSeconds: this.tuning.pollingIntervalSeconds,
          notifyPollingIntervalSeconds: this.tuning.pollingIntervalSeconds,
        },
        async ([job]) => {
          if (!job) return undefined;
          try {
            const payload = parsePayload(name, job.data);
            return await handler(payload, { jobId: job.id, retryCount: job.retryCount, signal: job.signal });
          } catch (err) {
            // After stop() the queue no longer waits for a handler; a late failure must not
            // become an unhandled rejection. The job is taken again once its heartbeat lapses.
            if (this.stopped) {
              this.logger.warn(
                { err, queue: name, jobId: job.id },
                'a job ended with an error after the queue stopped',
              );
              return undefined;
            }
            throw err;
          } finally {
            this.fetchAgainAfterJob(name);
          }
        },
      );
    }
  }

  /**
   * A worker that has just finished a job fetches again at once instead of waiting out its poll
   * interval: pg-boss waits (interval − job duration) after a job unless a NOTIFY came meanwhile,
   * so a backlog of quick jobs (fast failures, skips) would trickle out one per interval. A fetch
   * that finds nothing returns the worker to normal polling. pg-boss does not say which worker
   * ran the job, so every worker of the queue still holding one is told (each would tell itself
   * when its own job ends); idle workers are not woken: a job sent wakes them by NOTIFY.
   */
  private fetchAgainAfterJob(name: JobName): void {
    if (this.stopping || this.stopped) return;
    for (const worker of this.boss.getWipData()) {
      if (worker.name === name && worker.count > 0) this.boss.notifyWorker(worker.id);
    }
  }

  /** Keys (segment or render job ids) that have a job waiting or running. */
  async liveKeys(name: JobName, keys: readonly string[]): Promise<Set<string>> {
    const live = new Set<string>();
    for (const key of keys) {
      const jobs = await this.boss.findJobs(name, { key, limit: 100 });
      if (jobs.some((j) => j.state === 'created' || j.state === 'retry' || j.state === 'active'))
        live.add(key);
    }
    return live;
  }

  /** Dead-lettered jobs, newest first, each with the last error of the job it came from. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const jobs = await this.boss.findJobs(DEAD_LETTER_QUEUE, { limit });
    const letters: DeadLetter[] = [];
    for (const j of jobs.reverse()) {
      const source =
        j.sourceName && j.sourceId
          ? (await this.boss.findJobs(j.sourceName, { id: j.sourceId }))[0]
          : undefined;
      letters.push({
        id: j.id,
        queue: j.sourceName,
        sourceId: j.sourceId,
        data: j.data,
        error: source?.output ?? j.output ?? null,
        retries: source?.retryCount ?? null,
        createdOn: new Date(j.sourceCreatedOn ?? j.createdOn).toISOString(),
      });
    }
    return letters;
  }

  /**
   * From now on a handler that fails is only logged (its job is left to its heartbeat): for a
   * process that is going away, e.g. when the database is closed under it.
   */
  abandon(): void {
    this.stopped = true;
  }

  /** Stops taking jobs. `graceful` waits for running handlers (up to timeoutMs). */
  async stop(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopped = true;
    await this.boss.stop({
      graceful: options.graceful ?? true,
      timeout: options.timeoutMs ?? 30_000,
      close: true,
    });
    this.logger.debug({}, 'job queue stopped');
  }
}

/** A job's key: at most one job per segment (generation) or render job (composition) at a time. */
function keyOf(payload: JobPayload<JobName>): string {
  return 'segmentId' in payload ? payload.segmentId : payload.renderJobId;
}
