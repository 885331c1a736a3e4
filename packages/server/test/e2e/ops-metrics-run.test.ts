import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { BackendPool } from '@framesmith/comfyui';
import { type FaultSpec, type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { type Pipeline, startPipeline } from '@framesmith/pipeline';
import { buildApp } from '@framesmith/server';
import { type Ops, startOps } from '@framesmith/server/ops';
import { parsePrometheusText, sampleValue } from '../support/ops-prometheus.ts';

/**
 * A scripted run on the real pipeline and simulator: four clips that succeed at once, one that
 * fails with a GPU out-of-memory error and succeeds on its automatic retry, and one that fails for
 * good (a node that is not installed). /metrics and /api/analytics/errors must tell exactly that.
 */
describe(`metrics after a scripted run (${testDbKind()})`, () => {
  let database: TestDatabase;
  let sim: Simulator;
  let pool: BackendPool;
  let pipeline: Pipeline;
  let ops: Ops;
  let app: FastifyInstance;
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-ops-run-'));

  before(async () => {
    database = await openTestDb();
    sim = await startSimulator({ port: 0, generationMs: 30 });
    const config = parseConfig({
      STORAGE_DIR: storageDir,
      RETRY_BASE_DELAY_MS: '0',
      GENERATION_MAX_ATTEMPTS: '3',
    });
    pool = new BackendPool({
      backends: [{ name: 'sim-1', url: sim.url }],
      requestTimeoutMs: 5000,
      retryBaseDelayMs: 10,
      healthCheckTimeoutMs: 1000,
      healthCheckIntervalMs: 3_600_000,
    });
    pipeline = await startPipeline({
      database,
      config,
      role: 'all',
      pool,
      tuning: { pollingIntervalSeconds: 0.5, superviseIntervalSeconds: 60 },
    });
    ops = await startOps({
      database,
      config,
      role: 'all',
      pool,
      boss: pipeline.queue.boss,
      events: pipeline.events,
    });
    app = await buildApp({ database, config, routes: ops.routes });
    await pool.checkNow();
  });

  after(async () => {
    await ops?.stop();
    await pipeline?.stop({ graceful: false });
    pool?.stop();
    await app?.close();
    await sim?.close();
    await database?.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  });

  /** Renders a new project of `prompts` with `faults` injected, and waits for the render to end. */
  async function render(prompts: string[], faults: FaultSpec[]): Promise<string> {
    sim.setFaults(faults);
    const p = await app.inject({ method: 'POST', url: '/api/projects', payload: { name: prompts[0] } });
    const projectId = p.json().id as string;
    for (const prompt of prompts) {
      await app.inject({
        method: 'POST',
        url: `/api/projects/${projectId}/segments`,
        payload: { prompt, params: { frames: 8, fps: 8 } },
      });
    }
    let done!: (status: string) => void;
    const ended = new Promise<string>((r) => {
      done = r;
    });
    const unsubscribe = pipeline.events.subscribe(projectId, (e) => {
      if (e.event === 'render-job' && ['completed', 'failed', 'cancelled'].includes(e.data.status))
        done(e.data.status);
    });
    try {
      await pipeline.service.startRender(projectId);
      return await ended;
    } finally {
      unsubscribe();
    }
  }

  test('N successes and M failures by code are what /metrics reports', async () => {
    assert.equal(await render(['one', 'two', 'three'], []), 'completed');
    assert.equal(await render(['four'], []), 'completed');
    assert.equal(await render(['five runs out of memory once'], [{ kind: 'oom', count: 1 }]), 'completed');
    assert.equal(
      await render(['six needs a missing node'], [{ kind: 'missing_node_type', count: 1 }]),
      'failed',
    );
    sim.clearFaults();

    const res = await app.inject('/metrics');
    assert.equal(res.statusCode, 200);
    const m = parsePrometheusText(res.body);
    const attempts = (outcome: string, code = '') =>
      sampleValue(m, 'framesmith_generation_attempts_total', { outcome, error_code: code }) ?? 0;
    assert.equal(attempts('succeeded'), 5, 'five clips made');
    assert.equal(attempts('failed', 'COMFYUI_OUT_OF_MEMORY'), 1);
    assert.equal(attempts('failed', 'COMFYUI_MISSING_NODE'), 1);
    assert.equal(sampleValue(m, 'framesmith_generation_retries_total', { outcome: 'succeeded' }), 1);
    assert.equal(sampleValue(m, 'framesmith_generation_retry_success_ratio'), 1);
    assert.equal(sampleValue(m, 'framesmith_generation_time_to_success_seconds_count'), 5);
    assert.equal(sampleValue(m, 'framesmith_generation_time_to_failure_seconds_count'), 2);
    assert.equal(sampleValue(m, 'framesmith_render_job_duration_seconds_count', { status: 'completed' }), 3);
    assert.equal(sampleValue(m, 'framesmith_render_job_duration_seconds_count', { status: 'failed' }), 1);
    assert.equal(sampleValue(m, 'framesmith_backend_up', { backend: 'sim-1' }), 1);
    assert.equal(
      sampleValue(m, 'framesmith_backend_circuit_state', { backend: 'sim-1', state: 'closed' }),
      1,
    );
    assert.equal(sampleValue(m, 'framesmith_queue_depth'), 0, 'nothing left waiting');

    // The same numbers, counted straight from the attempts table.
    const rows = (
      await database.db.execute(
        sql`select outcome, coalesce(error_code, '') as code, count(*)::int as n
            from generation_attempts group by 1, 2`,
      )
    ).rows as { outcome: string; code: string; n: number }[];
    for (const r of rows) assert.equal(attempts(r.outcome, r.code), r.n, `${r.outcome} ${r.code}`);

    const analytics = (await app.inject('/api/analytics/errors')).json();
    assert.equal(analytics.totals.succeeded, 5);
    assert.equal(analytics.totals.failed, 2);
    assert.deepEqual(
      analytics.failuresByCode.map((f: { code: string; count: number }) => [f.code, f.count]).sort(),
      [
        ['COMFYUI_MISSING_NODE', 1],
        ['COMFYUI_OUT_OF_MEMORY', 1],
      ],
    );
    assert.equal(analytics.retry.segmentsRecovered, 1);
    assert.equal(analytics.topBackends[0].backend, 'sim-1');
  });
});
