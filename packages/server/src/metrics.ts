import client, { type Histogram, type Registry } from 'prom-client';
import type { Database } from '@framesmith/db';
import {
  type DurationHistogram,
  type GenerationStats,
  generationStats,
  type QueueStats,
  queueStats,
  renderDurationStats,
} from '@framesmith/db/queries/analytics';
import { WEBHOOK_QUEUE } from '@framesmith/pipeline/webhooks/delivery-worker';
import type { BackendView } from './backend-view.ts';

/**
 * Prometheus metrics. Generation, render and queue figures are counted in the database at scrape
 * time (aggregate SQL), so every api process reports the same totals whichever process did the
 * work. Backend health comes from this process's pool; HTTP durations from this process's requests.
 */

/** Histogram bounds for attempt and render durations, in seconds. */
export const DURATION_BUCKETS_SECONDS = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800] as const;
export const HTTP_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

const CIRCUIT_STATES = ['closed', 'halfOpen', 'open'] as const;

export interface MetricsSources {
  database: Database;
  /** This process's ComfyUI backends (health, circuit); omitted in processes without a pool. */
  backends?: () => readonly BackendView[];
  /** pg-boss schema (default 'pgboss'). */
  queueSchema?: string;
  /** Add Node process metrics (default true). */
  processMetrics?: boolean;
}

interface DbSnapshot {
  generation: GenerationStats;
  renders: Awaited<ReturnType<typeof renderDurationStats>>;
  queue: QueueStats | null;
}

type Value = { value: number; labels?: Record<string, string | number>; metricName?: string };

/** A metric whose values are computed on demand (from the database snapshot of this scrape). */
function computedMetric(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  values: () => Promise<Value[]>,
): void {
  registry.registerMetric({
    name,
    help,
    type,
    aggregator: 'sum',
    collect: () => {},
    get: async () => ({ name, help, type, aggregator: 'sum', values: await values() }),
  } as unknown as client.Metric);
}

function histogramValues(name: string, h: DurationHistogram, labels: Record<string, string> = {}): Value[] {
  const out: Value[] = h.buckets.map((b) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: b.le / 1000 },
    value: b.count,
  }));
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sumMs / 1000 });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

export interface Metrics {
  registry: Registry;
  contentType: string;
  /** The Prometheus text exposition. */
  scrape(): Promise<string>;
  /** Records one HTTP request (route is the route pattern, never the raw URL). */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void;
  /** Records one health check of a backend (when the pool reports each check). */
  observeHealthCheck(backend: string, seconds: number): void;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new client.Registry();
  const boundsMs = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);
  const schema = sources.queueSchema ?? 'pgboss';

  // One database snapshot per scrape: every computed metric awaits the same promise.
  let pending: Promise<DbSnapshot | null> | undefined;
  const snapshot = () => {
    pending ??= (async () => {
      try {
        const db = sources.database.db;
        const generation = await generationStats(db, boundsMs);
        const renders = await renderDurationStats(db, boundsMs);
        const queue = await queueStats(db, schema, { excludeFromTotals: [WEBHOOK_QUEUE] });
        return { generation, renders, queue };
      } catch {
        return null;
      } finally {
        queueMicrotask(() => {
          pending = undefined;
        });
      }
    })();
    return pending;
  };

  computedMetric(
    registry,
    'framesmith_metrics_database_up',
    'Whether this scrape could read the database (1) or not (0)',
    'gauge',
    async () => [{ value: (await snapshot()) ? 1 : 0 }],
  );
  computedMetric(
    registry,
    'framesmith_generation_attempts_total',
    'Generation attempts by outcome (running, succeeded, failed, cancelled) and error code',
    'counter',
    async () =>
      (await snapshot())?.generation.attempts.map((a) => ({
        labels: { outcome: a.outcome, error_code: a.errorCode ?? '' },
        value: a.count,
      })) ?? [],
  );
  computedMetric(
    registry,
    'framesmith_generation_retries_total',
    'Attempts after the first (automatic or manual retries), by outcome',
    'counter',
    async () =>
      (await snapshot())?.generation.retries.map((r) => ({
        labels: { outcome: r.outcome },
        value: r.count,
      })) ?? [],
  );
  computedMetric(
    registry,
    'framesmith_generation_retry_success_ratio',
    'Share of finished retry attempts that succeeded',
    'gauge',
    async () => {
      const s = await snapshot();
      if (!s) return [];
      const ok = s.generation.retries.find((r) => r.outcome === 'succeeded')?.count ?? 0;
      const failed = s.generation.retries.find((r) => r.outcome === 'failed')?.count ?? 0;
      return ok + failed > 0 ? [{ value: ok / (ok + failed) }] : [];
    },
  );
  computedMetric(
    registry,
    'framesmith_generation_time_to_success_seconds',
    'How long a successful attempt took',
    'histogram',
    async () => {
      const s = await snapshot();
      return s
        ? histogramValues('framesmith_generation_time_to_success_seconds', s.generation.timeToSuccess)
        : [];
    },
  );
  computedMetric(
    registry,
    'framesmith_generation_time_to_failure_seconds',
    'How long a failed attempt ran before it failed',
    'histogram',
    async () => {
      const s = await snapshot();
      return s
        ? histogramValues('framesmith_generation_time_to_failure_seconds', s.generation.timeToFailure)
        : [];
    },
  );
  computedMetric(
    registry,
    'framesmith_render_job_duration_seconds',
    'Duration of finished render jobs by final status',
    'histogram',
    async () => {
      const s = await snapshot();
      if (!s) return [];
      return (['completed', 'failed', 'cancelled'] as const).flatMap((status) =>
        histogramValues('framesmith_render_job_duration_seconds', s.renders[status], { status }),
      );
    },
  );
  const queueGauge = (name: string, help: string, pick: (q: QueueStats) => number | null) =>
    computedMetric(registry, name, help, 'gauge', async () => {
      const q = (await snapshot())?.queue;
      if (!q) return [];
      const v = pick(q);
      return v === null ? [] : [{ value: v }];
    });
  queueGauge('framesmith_queue_depth', 'Jobs waiting to run, over all work queues', (q) => q.depth);
  queueGauge(
    'framesmith_queue_oldest_job_age_seconds',
    'Age of the oldest waiting job (0 when none waits)',
    (q) => q.oldestJobAgeSeconds ?? 0,
  );
  queueGauge('framesmith_queue_active_jobs', 'Jobs being worked on', (q) => q.active);
  queueGauge('framesmith_queue_dead_letter_jobs', 'Jobs sitting in dead-letter queues', (q) => q.deadLetter);
  computedMetric(
    registry,
    'framesmith_queue_jobs',
    'Jobs per queue and state (waiting, active, failed)',
    'gauge',
    async () =>
      (await snapshot())?.queue?.byQueue.flatMap((q) => [
        { labels: { queue: q.name, state: 'waiting' }, value: q.waiting },
        { labels: { queue: q.name, state: 'active' }, value: q.active },
        { labels: { queue: q.name, state: 'failed' }, value: q.failed },
      ]) ?? [],
  );

  const backends = sources.backends ?? (() => []);
  computedMetric(
    registry,
    'framesmith_backend_up',
    'Whether a ComfyUI backend is healthy (1) or not (0)',
    'gauge',
    async () =>
      backends().map((b) => ({ labels: { backend: b.name }, value: b.status === 'healthy' ? 1 : 0 })),
  );
  computedMetric(
    registry,
    'framesmith_backend_health_check_latency_seconds',
    'Latency of the latest health check of each ComfyUI backend',
    'gauge',
    async () =>
      backends()
        .filter((b) => b.latencyMs !== null)
        .map((b) => ({ labels: { backend: b.name }, value: (b.latencyMs ?? 0) / 1000 })),
  );
  computedMetric(
    registry,
    'framesmith_backend_circuit_state',
    'Circuit breaker state of each backend: 1 on the current state',
    'gauge',
    async () =>
      backends().flatMap((b) =>
        CIRCUIT_STATES.map((state) => ({
          labels: { backend: b.name, state },
          value: b.circuit === state ? 1 : 0,
        })),
      ),
  );
  computedMetric(
    registry,
    'framesmith_backend_in_flight',
    'Prompts running on each backend',
    'gauge',
    async () => backends().map((b) => ({ labels: { backend: b.name }, value: b.inFlight })),
  );
  computedMetric(
    registry,
    'framesmith_backend_queue_remaining',
    "Each backend's own ComfyUI queue length at its last check",
    'gauge',
    async () =>
      backends()
        .filter((b) => b.queueRemaining !== null)
        .map((b) => ({ labels: { backend: b.name }, value: b.queueRemaining ?? 0 })),
  );

  const healthCheckDuration = new client.Histogram({
    name: 'framesmith_backend_health_check_duration_seconds',
    help: 'Duration of each ComfyUI health check, by backend',
    labelNames: ['backend'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'framesmith_http_request_duration_seconds',
    help: 'HTTP request durations by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [...HTTP_BUCKETS_SECONDS],
    registers: [registry],
  });
  if (sources.processMetrics !== false)
    client.collectDefaultMetrics({ register: registry, prefix: 'framesmith_' });

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    observeHttp: (method, route, statusCode, seconds) =>
      httpDuration.observe({ method, route, status_code: statusCode }, seconds),
    observeHealthCheck: (backend, seconds) => healthCheckDuration.observe({ backend }, seconds),
    httpDuration,
  };
}
