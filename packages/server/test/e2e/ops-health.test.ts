import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BackendPool } from '@framesmith/comfyui';
import { type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { JobQueue } from '@framesmith/pipeline/queue';
import { buildApp } from '@framesmith/server';
import { backendViews } from '@framesmith/server/backend-view';
import { createHealthMonitor, type HealthMonitor } from '@framesmith/server/health-monitor';
import { createMetrics } from '@framesmith/server/metrics';
import { healthRoutes } from '@framesmith/server/routes/health';
import { metricsRoutes } from '@framesmith/server/routes/metrics';
import { parsePrometheusText, sampleValue } from '../support/ops-prometheus.ts';

/**
 * Health against two real simulators: both up, one down, both down, and one hanging. The
 * endpoints answer from the latest background results, so they answer while a check hangs.
 */

const HEALTH_TIMEOUT_MS = 1500;

describe(`health with the simulator (${testDbKind()})`, () => {
  let database: TestDatabase;
  let queue: JobQueue;
  let simA: Simulator;
  let simB: Simulator;
  let pool: BackendPool;
  let monitor: HealthMonitor;
  let app: FastifyInstance;
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-ops-health-'));

  before(async () => {
    database = await openTestDb();
    queue = await JobQueue.start(database, { tuning: { superviseIntervalSeconds: 60 } });
    simA = await startSimulator({ port: 0, generationMs: 50 });
    simB = await startSimulator({ port: 0, generationMs: 50 });
    pool = new BackendPool({
      backends: [
        { name: 'gpu-a', url: simA.url },
        { name: 'gpu-b', url: simB.url },
      ],
      requestTimeoutMs: 5000,
      retryBaseDelayMs: 10,
      maxCallAttempts: 1,
      healthCheckTimeoutMs: HEALTH_TIMEOUT_MS,
      // The test drives every check itself.
      healthCheckIntervalMs: 3_600_000,
    });
    const config = parseConfig({
      HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_TIMEOUT_MS),
      HEALTH_CHECK_INTERVAL_MS: '3600000',
      STORAGE_DIR: storageDir,
    });
    monitor = createHealthMonitor({ database, config, pool });
    const metrics = createMetrics({ database, backends: () => backendViews(pool), processMetrics: false });
    app = await buildApp({ database, config, routes: [healthRoutes(monitor), metricsRoutes(metrics)] });
  });

  after(async () => {
    monitor?.stop();
    pool?.stop();
    await app?.close();
    await queue?.stop({ graceful: false });
    await simA?.close();
    await simB?.close();
    await database?.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const comfy = async () => {
    const res = await app.inject('/api/health/comfyui');
    return { status: res.statusCode, body: res.json(), text: res.body };
  };
  const backend = (body: { backends: { name: string }[] }, name: string) =>
    body.backends.find((b) => b.name === name) as Record<string, unknown>;
  const assertNoAddresses = (text: string) => {
    for (const sim of [simA, simB]) assert.ok(!text.includes(String(sim.port)), 'no backend port in health');
    assert.doesNotMatch(text, /https?:\/\//, 'no URL in health');
  };

  test('both backends up: healthy, 200, with version, queue, VRAM and circuit', async () => {
    await pool.checkNow();
    const { status, body, text } = await comfy();
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    for (const name of ['gpu-a', 'gpu-b']) {
      const b = backend(body, name);
      assert.equal(b.status, 'healthy');
      assert.equal(b.circuit, 'closed');
      assert.equal(b.version, '0.3.64');
      assert.equal(b.queueRemaining, 0);
      assert.equal(typeof b.latencyMs, 'number');
      assert.ok((b.devices as unknown[]).length >= 1);
      assert.ok(typeof b.lastCheckedAt === 'string');
      assert.equal(b.lastError, null);
    }
    assertNoAddresses(text);
  });

  test('overall health reports every component; the queue shows depth and oldest job age', async () => {
    await queue.send('segment-generate', { segmentId: crypto.randomUUID(), renderJobId: null });
    const res = await app.inject('/api/health?refresh=true');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.status, 'healthy');
    const c = body.components;
    assert.equal(c.database.status, 'healthy');
    assert.equal(c.queue.status, 'healthy');
    assert.equal(c.queue.details.depth, 1);
    assert.equal(typeof c.queue.details.oldestJobAgeSeconds, 'number');
    assert.equal(c.queue.details.deadLetter, 0);
    assert.equal(c.storage.status, 'healthy');
    assert.ok(c.storage.details.freeBytes > 0);
    assert.equal(c.ffmpeg.status, 'healthy');
    assert.match(String(c.ffmpeg.details.version), /\S/);
    assert.equal(c.comfyui.status, 'healthy');
    assert.equal(c.comfyui.backends.length, 2);
    assertNoAddresses(res.body);

    const ready = await app.inject('/api/health/ready');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { database: true, migrations: true } });
  });

  test('one backend down: degraded and still 200; both down: unhealthy and 503', async () => {
    await simB.goDown();
    await pool.checkNow('gpu-b');
    let r = await comfy();
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'degraded');
    assert.equal(backend(r.body, 'gpu-b').status, 'unreachable');
    assert.equal(backend(r.body, 'gpu-a').status, 'healthy');
    assertNoAddresses(r.text);

    await simA.goDown();
    await pool.checkNow('gpu-a');
    r = await comfy();
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'unhealthy');
    assert.ok(r.body.backends.every((b: { status: string }) => b.status === 'unreachable'));
    assertNoAddresses(r.text);

    const overall = await app.inject('/api/health');
    assert.equal(overall.statusCode, 503);
    assert.equal(overall.json().status, 'unhealthy');
    assert.equal(overall.json().components.comfyui.status, 'unhealthy');

    const metrics = parsePrometheusText((await app.inject('/metrics')).body);
    assert.equal(sampleValue(metrics, 'framesmith_backend_up', { backend: 'gpu-a' }), 0);
    assert.equal(sampleValue(metrics, 'framesmith_backend_up', { backend: 'gpu-b' }), 0);

    await simA.goUp();
    await simB.goUp();
    await pool.checkNow();
    r = await comfy();
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'healthy');
  });

  test('a hanging backend: the endpoints answer before its check ends, then it shows timeout', async () => {
    simB.setFaults([{ kind: 'hang' }]);
    let checkEnded = false;
    const checking = pool.checkNow('gpu-b').then(() => {
      checkEnded = true;
    });

    // Answered from the latest results while the check of gpu-b is still waiting on the hang.
    const during = await comfy();
    const overall = await app.inject('/api/health');
    assert.equal(checkEnded, false, 'the endpoints answered before the hanging check finished');
    assert.equal(during.status, 200);
    assert.equal(backend(during.body, 'gpu-b').status, 'healthy', 'still the previous result');
    assert.equal(overall.statusCode, 200);

    await checking;
    const afterCheck = await comfy();
    assert.equal(afterCheck.status, 200, 'gpu-a is still healthy');
    assert.equal(afterCheck.body.status, 'degraded');
    const b = backend(afterCheck.body, 'gpu-b');
    assert.equal(b.status, 'timeout');
    assert.match(String(b.lastError), /COMFYUI_TIMEOUT/);
    assertNoAddresses(afterCheck.text);

    const metrics = parsePrometheusText((await app.inject('/metrics')).body);
    assert.equal(sampleValue(metrics, 'framesmith_backend_up', { backend: 'gpu-b' }), 0);
    assert.equal(sampleValue(metrics, 'framesmith_backend_up', { backend: 'gpu-a' }), 1);
    assert.equal(
      sampleValue(metrics, 'framesmith_backend_circuit_state', { backend: 'gpu-a', state: 'closed' }),
      1,
    );
    simB.clearFaults();
  });
});
