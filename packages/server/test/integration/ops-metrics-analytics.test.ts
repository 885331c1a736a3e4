import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { BUILTIN_WORKFLOWS, parseConfig } from '@framesmith/core';
import { generationAttempts, projects, renderJobs, segments } from '@framesmith/db';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { createMetrics } from '@framesmith/server/metrics';
import { analyticsRoutes } from '@framesmith/server/routes/analytics';
import { metricsRoutes } from '@framesmith/server/routes/metrics';
import { parsePrometheusText, sampleValue } from '../support/ops-prometheus.ts';

/**
 * A scripted history of attempts (N successes, M failures by code, retries, one running, one
 * cancelled, one outside the analytics window) and two finished renders; /metrics and
 * /api/analytics/errors must report exactly what the script did and what the table holds.
 */

interface Step {
  project: 0 | 1;
  segment: number;
  attempt: number;
  outcome: 'succeeded' | 'failed' | 'running' | 'cancelled';
  code?: string;
  ms: number;
  backend: string;
  workflow: 0 | 1 | null;
  /** Hours before now that the attempt started. */
  hoursAgo: number;
}

const SCRIPT: Step[] = [
  {
    project: 0,
    segment: 0,
    attempt: 1,
    outcome: 'succeeded',
    ms: 4000,
    backend: 'gpu-a',
    workflow: 0,
    hoursAgo: 5,
  },
  {
    project: 0,
    segment: 1,
    attempt: 1,
    outcome: 'succeeded',
    ms: 6000,
    backend: 'gpu-b',
    workflow: 0,
    hoursAgo: 5,
  },
  {
    project: 0,
    segment: 2,
    attempt: 1,
    outcome: 'succeeded',
    ms: 45000,
    backend: 'gpu-a',
    workflow: 1,
    hoursAgo: 4,
  },
  {
    project: 1,
    segment: 3,
    attempt: 1,
    outcome: 'succeeded',
    ms: 900,
    backend: 'gpu-b',
    workflow: 0,
    hoursAgo: 3,
  },
  {
    project: 1,
    segment: 4,
    attempt: 1,
    outcome: 'succeeded',
    ms: 2000,
    backend: 'gpu-a',
    workflow: null,
    hoursAgo: 3,
  },
  // Two segments recovered by a retry after a timeout.
  {
    project: 0,
    segment: 5,
    attempt: 1,
    outcome: 'failed',
    code: 'COMFYUI_TIMEOUT',
    ms: 30000,
    backend: 'gpu-b',
    workflow: 0,
    hoursAgo: 2,
  },
  {
    project: 0,
    segment: 5,
    attempt: 2,
    outcome: 'succeeded',
    ms: 8000,
    backend: 'gpu-a',
    workflow: 0,
    hoursAgo: 2,
  },
  {
    project: 1,
    segment: 6,
    attempt: 1,
    outcome: 'failed',
    code: 'COMFYUI_TIMEOUT',
    ms: 30000,
    backend: 'gpu-b',
    workflow: 1,
    hoursAgo: 2,
  },
  {
    project: 1,
    segment: 6,
    attempt: 2,
    outcome: 'succeeded',
    ms: 7000,
    backend: 'gpu-b',
    workflow: 1,
    hoursAgo: 1,
  },
  // A segment that never recovers: OOM twice, then a timeout.
  {
    project: 0,
    segment: 7,
    attempt: 1,
    outcome: 'failed',
    code: 'COMFYUI_OUT_OF_MEMORY',
    ms: 1200,
    backend: 'gpu-b',
    workflow: 1,
    hoursAgo: 1,
  },
  {
    project: 0,
    segment: 7,
    attempt: 2,
    outcome: 'failed',
    code: 'COMFYUI_OUT_OF_MEMORY',
    ms: 1500,
    backend: 'gpu-b',
    workflow: 1,
    hoursAgo: 1,
  },
  {
    project: 0,
    segment: 7,
    attempt: 3,
    outcome: 'failed',
    code: 'COMFYUI_TIMEOUT',
    ms: 300000,
    backend: 'gpu-a',
    workflow: 1,
    hoursAgo: 1,
  },
  // Permanent: one try only.
  {
    project: 1,
    segment: 8,
    attempt: 1,
    outcome: 'failed',
    code: 'COMFYUI_MISSING_NODE',
    ms: 300,
    backend: 'gpu-a',
    workflow: 0,
    hoursAgo: 1,
  },
  {
    project: 1,
    segment: 9,
    attempt: 1,
    outcome: 'running',
    ms: 0,
    backend: 'gpu-a',
    workflow: 0,
    hoursAgo: 0.1,
  },
  {
    project: 0,
    segment: 10,
    attempt: 1,
    outcome: 'cancelled',
    ms: 500,
    backend: 'gpu-b',
    workflow: 0,
    hoursAgo: 0.5,
  },
  // Outside a 24 h window: counted by /metrics (all time) but not by analytics of the last day.
  {
    project: 0,
    segment: 11,
    attempt: 1,
    outcome: 'failed',
    code: 'COMFYUI_CONNECTION_ERROR',
    ms: 100,
    backend: 'gpu-c',
    workflow: 0,
    hoursAgo: 72,
  },
];

describe(`metrics and error analytics (${testDbKind()})`, () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  const projectIds: string[] = [];
  const now = Date.now();

  before(async () => {
    database = await openTestDb();
    const { db } = database;
    for (const name of ['alpha', 'beta']) {
      const [p] = await db.insert(projects).values({ name }).returning();
      projectIds.push(p!.id);
    }
    const workflowIds = [BUILTIN_WORKFLOWS[0]!.id, BUILTIN_WORKFLOWS[1]!.id];
    const segmentIds = new Map<number, string>();
    for (const step of SCRIPT) {
      if (!segmentIds.has(step.segment)) {
        const [s] = await db
          .insert(segments)
          .values({
            projectId: projectIds[step.project]!,
            position: step.segment,
            prompt: `segment ${step.segment}`,
          })
          .returning();
        segmentIds.set(step.segment, s!.id);
      }
      const startedAt = new Date(now - step.hoursAgo * 3600_000);
      await db.insert(generationAttempts).values({
        segmentId: segmentIds.get(step.segment)!,
        projectId: projectIds[step.project]!,
        workflowId: step.workflow === null ? null : workflowIds[step.workflow]!,
        attempt: step.attempt,
        backend: step.backend,
        outcome: step.outcome,
        errorCode: step.code ?? null,
        startedAt,
        finishedAt: step.outcome === 'running' ? null : new Date(startedAt.getTime() + step.ms),
        durationMs: step.outcome === 'running' ? null : step.ms,
      });
    }
    const render = (status: 'completed' | 'failed', seconds: number) => ({
      projectId: projectIds[status === 'completed' ? 0 : 1]!,
      status,
      segmentIds: [],
      startedAt: new Date(now - 3600_000),
      finishedAt: new Date(now - 3600_000 + seconds * 1000),
    });
    await db.insert(renderJobs).values([render('completed', 42), render('failed', 7)]);

    const metrics = createMetrics({ database, processMetrics: false });
    app = await buildApp({
      database,
      config: parseConfig({}),
      routes: [metricsRoutes(metrics), analyticsRoutes()],
    });
  });

  after(async () => {
    await app?.close();
    await database?.destroy();
  });

  test('/metrics reports the scripted attempts, retries, durations and renders', async () => {
    const res = await app.inject('/metrics');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(res.body);

    const count = (pred: (s: Step) => boolean) => SCRIPT.filter(pred).length;
    const attempts = (outcome: string, code = '') =>
      sampleValue(families, 'framesmith_generation_attempts_total', { outcome, error_code: code });
    assert.equal(families.get('framesmith_generation_attempts_total')?.type, 'counter');
    assert.equal(
      attempts('succeeded'),
      count((s) => s.outcome === 'succeeded'),
    );
    assert.equal(attempts('succeeded'), 7);
    for (const code of [
      'COMFYUI_TIMEOUT',
      'COMFYUI_OUT_OF_MEMORY',
      'COMFYUI_MISSING_NODE',
      'COMFYUI_CONNECTION_ERROR',
    ]) {
      assert.equal(
        attempts('failed', code),
        count((s) => s.code === code),
        code,
      );
    }
    assert.equal(attempts('failed', 'COMFYUI_TIMEOUT'), 3);
    assert.equal(attempts('running'), 1);
    assert.equal(attempts('cancelled'), 1);
    assert.equal(
      attempts('failed', 'COMFYUI_WORKFLOW_ERROR'),
      undefined,
      'no series for codes that never happened',
    );

    const retries = (outcome: string) =>
      sampleValue(families, 'framesmith_generation_retries_total', { outcome });
    assert.equal(retries('succeeded'), 2);
    assert.equal(retries('failed'), 2);
    assert.equal(sampleValue(families, 'framesmith_generation_retry_success_ratio'), 0.5);

    const finished = (outcome: string) => SCRIPT.filter((s) => s.outcome === outcome);
    for (const [metric, outcome] of [
      ['framesmith_generation_time_to_success_seconds', 'succeeded'],
      ['framesmith_generation_time_to_failure_seconds', 'failed'],
    ] as const) {
      const steps = finished(outcome);
      assert.equal(families.get(metric)?.type, 'histogram');
      assert.equal(sampleValue(families, `${metric}_count`), steps.length);
      const sum = sampleValue(families, `${metric}_sum`)!;
      assert.ok(Math.abs(sum - steps.reduce((a, s) => a + s.ms, 0) / 1000) < 1e-6, `${metric} sum`);
      for (const le of ['1', '5', '30', '300']) {
        assert.equal(
          sampleValue(families, `${metric}_bucket`, { le }),
          steps.filter((s) => s.ms <= Number(le) * 1000).length,
          `${metric} le=${le}`,
        );
      }
    }

    const render = (status: string, suffix: string, labels: Record<string, string> = {}) =>
      sampleValue(families, `framesmith_render_job_duration_seconds${suffix}`, { status, ...labels });
    assert.equal(render('completed', '_count'), 1);
    assert.ok(Math.abs(render('completed', '_sum')! - 42) < 1e-6);
    assert.equal(render('completed', '_bucket', { le: '30' }), 0);
    assert.equal(render('completed', '_bucket', { le: '60' }), 1);
    assert.equal(render('failed', '_count'), 1);
    assert.equal(sampleValue(families, 'framesmith_metrics_database_up'), 1);
  });

  test('/metrics times HTTP requests by route pattern and status', async () => {
    await app.inject(`/api/analytics/errors?projectId=${projectIds[0]}`);
    await app.inject('/api/analytics/errors?since=yesterday');
    const families = parsePrometheusText((await app.inject('/metrics')).body);
    const ok = sampleValue(families, 'framesmith_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/api/analytics/errors',
      status_code: '200',
    });
    const bad = sampleValue(families, 'framesmith_http_request_duration_seconds_count', {
      route: '/api/analytics/errors',
      status_code: '400',
    });
    assert.ok(ok !== undefined && ok >= 1);
    assert.equal(bad, 1);
    const routes = families
      .get('framesmith_http_request_duration_seconds')!
      .samples.map((s) => s.labels.route);
    assert.ok(
      !routes.some((r) => r?.includes(projectIds[0]!)),
      'labels carry the route pattern, not the URL',
    );
  });

  test('analytics of the last day equal counts made directly from the attempts table', async () => {
    const until = new Date(now + 60_000);
    const since = new Date(until.getTime() - 86400_000);
    const res = await app.inject(
      `/api/analytics/errors?since=${since.toISOString()}&until=${until.toISOString()}&bucketSeconds=3600`,
    );
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();

    const window = sql`started_at >= ${since.toISOString()}::timestamptz and started_at < ${until.toISOString()}::timestamptz`;
    const direct = async <T>(query: ReturnType<typeof sql>) => (await database.db.execute(query)).rows as T[];
    const byCode = await direct<{ code: string; n: number }>(
      sql`select error_code as code, count(*)::int as n from generation_attempts
          where outcome = 'failed' and ${window} group by error_code`,
    );
    assert.deepEqual(
      Object.fromEntries(body.failuresByCode.map((f: { code: string; count: number }) => [f.code, f.count])),
      Object.fromEntries(byCode.map((r) => [r.code, r.n])),
    );
    assert.equal(body.failuresByCode[0].code, 'COMFYUI_TIMEOUT');
    assert.equal(body.failuresByCode[0].title, 'Generation took too long');
    assert.equal(
      body.failuresByCode.find((f: { code: string }) => f.code === 'COMFYUI_CONNECTION_ERROR'),
      undefined,
      'the 3-day-old failure is outside the window',
    );

    const [totals] = await direct<Record<string, number>>(
      sql`select count(*)::int as attempts,
            count(*) filter (where outcome = 'succeeded')::int as succeeded,
            count(*) filter (where outcome = 'failed')::int as failed,
            count(*) filter (where outcome = 'cancelled')::int as cancelled,
            count(*) filter (where outcome = 'running')::int as running
          from generation_attempts where ${window}`,
    );
    assert.deepEqual(body.totals, totals);

    // Buckets add up to the failures, and each failure sits in the hour it started.
    const bucketSum = body.buckets.reduce((a: number, b: { failures: number }) => a + b.failures, 0);
    assert.equal(bucketSum, totals!.failed);
    assert.equal(body.buckets.length, 24);
    for (const step of SCRIPT.filter((s) => s.outcome === 'failed' && s.hoursAgo < 24)) {
      const startedAt = now - step.hoursAgo * 3600_000;
      const idx = Math.floor((startedAt - since.getTime()) / 3600_000);
      assert.ok((body.buckets[idx].byCode[step.code!] ?? 0) >= 1, `bucket ${idx} has ${step.code}`);
    }

    const [retry] = await direct<{ attempts: number; succeeded: number }>(
      sql`select count(*) filter (where attempt > 1 and outcome in ('succeeded', 'failed'))::int as attempts,
            count(*) filter (where attempt > 1 and outcome = 'succeeded')::int as succeeded
          from generation_attempts where ${window}`,
    );
    assert.equal(body.retry.attempts, retry!.attempts);
    assert.equal(body.retry.succeeded, retry!.succeeded);
    assert.equal(body.retry.successRate, retry!.succeeded / retry!.attempts);
    assert.equal(body.retry.segmentsRetried, 3);
    assert.equal(body.retry.segmentsRecovered, 2);

    const [mean] = await direct<{ mttf: number }>(
      sql`select avg(duration_ms)::float8 as mttf from generation_attempts where outcome = 'failed' and ${window}`,
    );
    assert.ok(Math.abs(body.meanTimeToFailureMs - mean!.mttf) < 1e-6);

    const backends = await direct<{ backend: string; failures: number; attempts: number }>(
      sql`select backend, count(*) filter (where outcome = 'failed')::int as failures,
            count(*) filter (where outcome in ('succeeded', 'failed'))::int as attempts
          from generation_attempts where ${window} group by backend
          having count(*) filter (where outcome = 'failed') > 0 order by failures desc, attempts desc`,
    );
    assert.deepEqual(
      body.topBackends.map((b: { backend: string; failures: number; attempts: number }) => [
        b.backend,
        b.failures,
        b.attempts,
      ]),
      backends.map((b) => [b.backend, b.failures, b.attempts]),
    );
    assert.equal(body.topBackends[0].backend, 'gpu-b');

    assert.equal(body.topWorkflows[0].name, BUILTIN_WORKFLOWS[1]!.name);
    assert.equal(body.topWorkflows[0].failures, 4);
  });

  test('analytics filter by project and refuse bad windows', async () => {
    const res = await app.inject(`/api/analytics/errors?projectId=${projectIds[1]}`);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    const [direct] = (
      await database.db.execute(
        sql`select count(*)::int as n from generation_attempts
            where outcome = 'failed' and project_id = ${projectIds[1]}::uuid and started_at >= now() - interval '1 day'`,
      )
    ).rows as { n: number }[];
    assert.equal(body.totals.failed, direct!.n);
    assert.equal(body.totals.failed, 2);

    const backwards = await app.inject(
      '/api/analytics/errors?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
    );
    assert.equal(backwards.statusCode, 400);
    assert.equal(backwards.json().error.code, 'VALIDATION_ERROR');
    const badProject = await app.inject('/api/analytics/errors?projectId=nope');
    assert.equal(badProject.statusCode, 400);
  });
});
