import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../open-db.ts';

/**
 * Aggregate SQL over generation_attempts and render_jobs: the source of /metrics and of the
 * error analytics page. Everything is counted in the database so several processes agree, and
 * each question is one scan (FILTER clauses), so a scrape stays fast with many thousands of rows.
 */

type Row = Record<string, unknown>;

async function rows(db: Db, query: SQL): Promise<Row[]> {
  const result = await db.execute(query);
  return result.rows as Row[];
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Milliseconds an attempt took: the recorded duration, else finished minus started. */
const ATTEMPT_MS = sql.raw(
  `coalesce(duration_ms::float8, extract(epoch from (finished_at - started_at)) * 1000)`,
);
/** Milliseconds a render took: from its start (or creation) to its end. */
const RENDER_MS = sql.raw(`extract(epoch from (finished_at - coalesce(started_at, created_at))) * 1000`);

export interface DurationHistogram {
  /** Cumulative counts: how many observations were at most `le` milliseconds. */
  buckets: { le: number; count: number }[];
  count: number;
  sumMs: number;
}

function bucketColumns(expr: SQL, boundsMs: readonly number[]): SQL {
  const parts = boundsMs.map((b, i) => {
    if (!Number.isFinite(b)) throw new Error(`histogram bound ${b} is not a finite number`);
    return sql`count(*) filter (where ${expr} <= ${sql.raw(String(b))})::int as ${sql.raw(`b${i}`)}`;
  });
  return sql.join(parts, sql`, `);
}

function toHistogram(row: Row | undefined, boundsMs: readonly number[]): DurationHistogram {
  return {
    buckets: boundsMs.map((le, i) => ({ le, count: num(row?.[`b${i}`]) })),
    count: num(row?.n),
    sumMs: num(row?.sum_ms),
  };
}

const emptyHistogram = (boundsMs: readonly number[]) => toHistogram(undefined, boundsMs);

export interface GenerationStats {
  /** Every attempt, by outcome (running, succeeded, failed, cancelled) and error code (null when none). */
  attempts: { outcome: string; errorCode: string | null; count: number }[];
  /** Attempts after the first (attempt > 1), by outcome. */
  retries: { outcome: string; count: number }[];
  /** Durations of finished attempts: time to success and time to failure. */
  timeToSuccess: DurationHistogram;
  timeToFailure: DurationHistogram;
}

export async function generationStats(db: Db, boundsMs: readonly number[]): Promise<GenerationStats> {
  const counts = await rows(
    db,
    sql`select outcome, error_code, (attempt > 1) as retry, count(*)::int as n
        from generation_attempts group by outcome, error_code, (attempt > 1)`,
  );
  const durations = await rows(
    db,
    sql`select outcome, count(*)::int as n, coalesce(sum(${ATTEMPT_MS}), 0)::float8 as sum_ms,
          ${bucketColumns(ATTEMPT_MS, boundsMs)}
        from generation_attempts
        where outcome in ('succeeded', 'failed') and finished_at is not null
        group by outcome`,
  );
  const attempts = new Map<string, { outcome: string; errorCode: string | null; count: number }>();
  const retries = new Map<string, number>();
  for (const r of counts) {
    const outcome = String(r.outcome);
    const errorCode = r.error_code === null ? null : String(r.error_code);
    const key = `${outcome}\u0000${errorCode ?? ''}`;
    const entry = attempts.get(key) ?? { outcome, errorCode, count: 0 };
    entry.count += num(r.n);
    attempts.set(key, entry);
    if (r.retry === true) retries.set(outcome, (retries.get(outcome) ?? 0) + num(r.n));
  }
  const byOutcome = new Map(durations.map((r) => [String(r.outcome), r]));
  return {
    attempts: [...attempts.values()],
    retries: [...retries].map(([outcome, count]) => ({ outcome, count })),
    timeToSuccess: toHistogram(byOutcome.get('succeeded'), boundsMs),
    timeToFailure: toHistogram(byOutcome.get('failed'), boundsMs),
  };
}

/** Durations of finished render jobs by final status (completed, failed, cancelled). */
export async function renderDurationStats(
  db: Db,
  boundsMs: readonly number[],
): Promise<Record<'completed' | 'failed' | 'cancelled', DurationHistogram>> {
  const result = await rows(
    db,
    sql`select status, count(*)::int as n, coalesce(sum(${RENDER_MS}), 0)::float8 as sum_ms,
          ${bucketColumns(RENDER_MS, boundsMs)}
        from render_jobs
        where status in ('completed', 'failed', 'cancelled') and finished_at is not null
        group by status`,
  );
  const byStatus = new Map(result.map((r) => [String(r.status), r]));
  return {
    completed: byStatus.has('completed')
      ? toHistogram(byStatus.get('completed'), boundsMs)
      : emptyHistogram(boundsMs),
    failed: byStatus.has('failed') ? toHistogram(byStatus.get('failed'), boundsMs) : emptyHistogram(boundsMs),
    cancelled: byStatus.has('cancelled')
      ? toHistogram(byStatus.get('cancelled'), boundsMs)
      : emptyHistogram(boundsMs),
  };
}

// ---- Error analytics (GET /api/analytics/errors) ----

export interface ErrorAnalyticsQuery {
  since: Date;
  until: Date;
  projectId?: string;
  bucketSeconds: number;
  /** How many workflows and backends to list (default 5). */
  top?: number;
}

export interface ErrorAnalytics {
  since: string;
  until: string;
  bucketSeconds: number;
  totals: { attempts: number; succeeded: number; failed: number; cancelled: number; running: number };
  failuresByCode: { code: string; count: number }[];
  /** One entry per bucket from `since` to `until`, zero-filled: failures counted by code. */
  buckets: { start: string; failures: number; byCode: Record<string, number> }[];
  retry: {
    /** Finished attempts after the first. */
    attempts: number;
    succeeded: number;
    /** succeeded / attempts, null when there were none. */
    successRate: number | null;
    /** Segments that needed more than one attempt, and how many of them then succeeded. */
    segmentsRetried: number;
    segmentsRecovered: number;
  };
  meanTimeToFailureMs: number | null;
  meanTimeToSuccessMs: number | null;
  topWorkflows: {
    workflowId: string | null;
    name: string;
    failures: number;
    attempts: number;
    failureRate: number;
  }[];
  topBackends: { backend: string; failures: number; attempts: number; failureRate: number }[];
}

/** Attempts belong to the window by when they started: `since <= started_at < until`. */
function windowFilter(q: ErrorAnalyticsQuery, alias = ''): SQL {
  const col = sql.raw(`${alias}started_at`);
  const project = q.projectId ? sql` and ${sql.raw(`${alias}project_id`)} = ${q.projectId}::uuid` : sql``;
  return sql`${col} >= ${q.since.toISOString()}::timestamptz and ${col} < ${q.until.toISOString()}::timestamptz${project}`;
}

export async function errorAnalytics(db: Db, q: ErrorAnalyticsQuery): Promise<ErrorAnalytics> {
  if (!(q.bucketSeconds > 0)) throw new Error('bucketSeconds must be positive');
  const top = q.top ?? 5;
  const where = windowFilter(q);

  const [summary] = await rows(
    db,
    sql`select
          count(*)::int as attempts,
          count(*) filter (where outcome = 'succeeded')::int as succeeded,
          count(*) filter (where outcome = 'failed')::int as failed,
          count(*) filter (where outcome = 'cancelled')::int as cancelled,
          count(*) filter (where outcome = 'running')::int as running,
          count(*) filter (where attempt > 1 and outcome in ('succeeded', 'failed'))::int as retry_attempts,
          count(*) filter (where attempt > 1 and outcome = 'succeeded')::int as retry_succeeded,
          count(distinct segment_id) filter (where attempt > 1)::int as segments_retried,
          count(distinct segment_id) filter (where attempt > 1 and outcome = 'succeeded')::int as segments_recovered,
          avg(${ATTEMPT_MS}) filter (where outcome = 'failed' and finished_at is not null)::float8 as mttf,
          avg(${ATTEMPT_MS}) filter (where outcome = 'succeeded' and finished_at is not null)::float8 as mtts
        from generation_attempts where ${where}`,
  );

  const bucket = sql.raw(String(Math.floor(q.bucketSeconds)));
  const sinceEpoch = Math.floor(q.since.getTime() / 1000);
  const bucketRows = await rows(
    db,
    sql`select floor((extract(epoch from started_at) - ${sql.raw(String(sinceEpoch))}) / ${bucket})::int as idx,
          coalesce(error_code, 'UNKNOWN') as code, count(*)::int as n
        from generation_attempts
        where ${where} and outcome = 'failed'
        group by 1, 2`,
  );

  const workflowRows = await rows(
    db,
    sql`select a.workflow_id, w.name,
          count(*) filter (where a.outcome = 'failed')::int as failures,
          count(*) filter (where a.outcome in ('succeeded', 'failed'))::int as attempts
        from generation_attempts a left join workflows w on w.id = a.workflow_id
        where ${windowFilter(q, 'a.')}
        group by a.workflow_id, w.name
        having count(*) filter (where a.outcome = 'failed') > 0
        order by failures desc, attempts desc
        limit ${sql.raw(String(top))}`,
  );

  const backendRows = await rows(
    db,
    sql`select backend,
          count(*) filter (where outcome = 'failed')::int as failures,
          count(*) filter (where outcome in ('succeeded', 'failed'))::int as attempts
        from generation_attempts
        where ${where} and backend is not null
        group by backend
        having count(*) filter (where outcome = 'failed') > 0
        order by failures desc, attempts desc
        limit ${sql.raw(String(top))}`,
  );

  const bucketCount = Math.max(
    1,
    Math.ceil((q.until.getTime() - q.since.getTime()) / 1000 / q.bucketSeconds),
  );
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({
    start: new Date(q.since.getTime() + i * q.bucketSeconds * 1000).toISOString(),
    failures: 0,
    byCode: {} as Record<string, number>,
  }));
  const byCode = new Map<string, number>();
  for (const r of bucketRows) {
    const code = String(r.code);
    const n = num(r.n);
    byCode.set(code, (byCode.get(code) ?? 0) + n);
    const b = buckets[Math.min(Math.max(num(r.idx), 0), bucketCount - 1)]!;
    b.failures += n;
    b.byCode[code] = (b.byCode[code] ?? 0) + n;
  }

  const rate = (failures: number, attempts: number) => (attempts > 0 ? failures / attempts : 0);
  const retryAttempts = num(summary?.retry_attempts);
  const retrySucceeded = num(summary?.retry_succeeded);
  return {
    since: q.since.toISOString(),
    until: q.until.toISOString(),
    bucketSeconds: q.bucketSeconds,
    totals: {
      attempts: num(summary?.attempts),
      succeeded: num(summary?.succeeded),
      failed: num(summary?.failed),
      cancelled: num(summary?.cancelled),
      running: num(summary?.running),
    },
    failuresByCode: [...byCode]
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    buckets,
    retry: {
      attempts: retryAttempts,
      succeeded: retrySucceeded,
      successRate: retryAttempts > 0 ? retrySucceeded / retryAttempts : null,
      segmentsRetried: num(summary?.segments_retried),
      segmentsRecovered: num(summary?.segments_recovered),
    },
    meanTimeToFailureMs: numOrNull(summary?.mttf),
    meanTimeToSuccessMs: numOrNull(summary?.mtts),
    topWorkflows: workflowRows.map((r) => ({
      workflowId: r.workflow_id === null ? null : String(r.workflow_id),
      name:
        r.name === null || r.name === undefined
          ? r.workflow_id === null
            ? 'inline workflow'
            : 'deleted workflow'
          : String(r.name),
      failures: num(r.failures),
      attempts: num(r.attempts),
      failureRate: rate(num(r.failures), num(r.attempts)),
    })),
    topBackends: backendRows.map((r) => ({
      backend: String(r.backend),
      failures: num(r.failures),
      attempts: num(r.attempts),
      failureRate: rate(num(r.failures), num(r.attempts)),
    })),
  };
}

/** Picks a bucket width that gives at most ~60 buckets over the window, from a set of round sizes. */
export function chooseBucketSeconds(since: Date, until: Date): number {
  const span = Math.max(1, (until.getTime() - since.getTime()) / 1000);
  const sizes = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];
  return sizes.find((s) => span / s <= 60) ?? 7 * 86400;
}

/** Failures of one code in the last `windowMinutes`: the error.persistent trigger. */
export async function recentFailureCounts(
  db: Db,
  windowMinutes: number,
  now: Date = new Date(),
): Promise<{ code: string; count: number; lastAt: string }[]> {
  const from = new Date(now.getTime() - windowMinutes * 60_000).toISOString();
  const result = await rows(
    db,
    sql`select error_code as code, count(*)::int as n,
          to_char(max(coalesce(finished_at, started_at)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_at
        from generation_attempts
        where outcome = 'failed' and error_code is not null
          and started_at >= ${from}::timestamptz - interval '1 day'
          and coalesce(finished_at, started_at) >= ${from}::timestamptz
        group by error_code`,
  );
  return result.map((r) => ({ code: String(r.code), count: num(r.n), lastAt: String(r.last_at) }));
}

// ---- Queue (pg-boss tables, read directly so one statement answers for every queue) ----

export interface QueueStats {
  /** Jobs waiting to run (created or retry), over all queues except dead-letter queues. */
  depth: number;
  /** Age in seconds of the oldest waiting job, null when none waits. */
  oldestJobAgeSeconds: number | null;
  active: number;
  /** Jobs that ended failed (after their retries). */
  failed: number;
  /** Jobs sitting in dead-letter queues. */
  deadLetter: number;
  byQueue: {
    name: string;
    waiting: number;
    active: number;
    failed: number;
    oldestJobAgeSeconds: number | null;
  }[];
}

/**
 * Reads pg-boss's job table. Returns null while pg-boss has not installed its schema yet.
 * Dead-letter queues are the ones another queue names as its dead_letter. Queues in
 * `excludeFromTotals` (webhook deliveries) are listed per queue but left out of the totals.
 */
export async function queueStats(
  db: Db,
  schema = 'pgboss',
  options: { excludeFromTotals?: readonly string[] } = {},
): Promise<QueueStats | null> {
  const excluded = new Set(options.excludeFromTotals ?? []);
  if (!/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`invalid pg-boss schema name ${schema}`);
  const [exists] = await rows(db, sql`select to_regclass(${`${schema}.job`})::text as t`);
  if (!exists?.t) return null;
  const s = sql.raw(schema);
  const result = await rows(
    db,
    sql`select j.name,
          count(*) filter (where j.state in ('created', 'retry'))::int as waiting,
          count(*) filter (where j.state = 'active')::int as active,
          count(*) filter (where j.state = 'failed')::int as failed,
          extract(epoch from (now() - min(j.created_on) filter (where j.state in ('created', 'retry'))))::float8 as oldest,
          exists (select 1 from ${s}.queue q where q.dead_letter = j.name) as is_dlq
        from ${s}.job j
        where j.state in ('created', 'retry', 'active', 'failed')
        group by j.name`,
  );
  const stats: QueueStats = {
    depth: 0,
    oldestJobAgeSeconds: null,
    active: 0,
    failed: 0,
    deadLetter: 0,
    byQueue: [],
  };
  for (const r of result) {
    const entry = {
      name: String(r.name),
      waiting: num(r.waiting),
      active: num(r.active),
      failed: num(r.failed),
      oldestJobAgeSeconds: numOrNull(r.oldest),
    };
    stats.byQueue.push(entry);
    if (excluded.has(entry.name)) continue;
    if (r.is_dlq === true) {
      stats.deadLetter += entry.waiting + entry.active;
      continue;
    }
    stats.depth += entry.waiting;
    stats.active += entry.active;
    stats.failed += entry.failed;
    if (entry.oldestJobAgeSeconds !== null) {
      stats.oldestJobAgeSeconds = Math.max(stats.oldestJobAgeSeconds ?? 0, entry.oldestJobAgeSeconds);
    }
  }
  stats.byQueue.sort((a, b) => a.name.localeCompare(b.name));
  return stats;
}
