import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { BackendPool } from '@framesmith/comfyui';
import { type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openDb, type Database } from '@framesmith/db';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { type BackendRegistry, createBackendRegistry } from '@framesmith/server/backend-registry';
import { backendRoutes } from '@framesmith/server/routes/backends';

/**
 * Backends at run time against real simulators: COMFYUI_URL ones are recorded as 'env', new ones
 * are added through the API and health-checked, draining stops new jobs going to a backend while
 * a running one finishes, and (on PostgreSQL) a second process's pool follows every change.
 */

const newPool = (backends: { name: string; url: string }[]) =>
  new BackendPool({
    backends,
    requestTimeoutMs: 5000,
    retryBaseDelayMs: 10,
    healthCheckTimeoutMs: 1000,
    healthCheckIntervalMs: 3_600_000,
  });

/** Awaits a state by re-reading it (bounded). */
async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(25);
  }
}

describe(`backends at run time (${testDbKind()})`, () => {
  let database: TestDatabase;
  let simEnv: Simulator;
  let simExtra: Simulator;
  let pool: BackendPool;
  let registry: BackendRegistry;
  let app: FastifyInstance;
  // A second process (PostgreSQL only: PGlite is one process): its own connection, pool and registry.
  let other: { database: Database; pool: BackendPool; registry: BackendRegistry } | undefined;

  before(async () => {
    database = await openTestDb();
    simEnv = await startSimulator({ port: 0, generationMs: 50 });
    simExtra = await startSimulator({ port: 0, generationMs: 50 });
    pool = newPool([{ name: 'comfyui-1', url: simEnv.url }]);
    registry = createBackendRegistry({
      database,
      pool,
      envBackends: [{ name: 'comfyui-1', url: simEnv.url }],
    });
    await registry.start();
    app = await buildApp({ database, config: parseConfig({}), routes: [backendRoutes(registry, pool)] });
    if (database.url) {
      const otherDb = await openDb({ databaseUrl: database.url, poolSize: 2 });
      const otherPool = newPool([{ name: 'comfyui-1', url: simEnv.url }]);
      const otherRegistry = createBackendRegistry({
        database: otherDb,
        pool: otherPool,
        envBackends: [{ name: 'comfyui-1', url: simEnv.url }],
      });
      await otherRegistry.start();
      other = { database: otherDb, pool: otherPool, registry: otherRegistry };
    }
  });

  after(async () => {
    await registry?.stop();
    pool?.stop();
    await app?.close();
    if (other) {
      await other.registry.stop();
      other.pool.stop();
      await other.database.close();
    }
    await simEnv?.close();
    await simExtra?.close();
    await database?.destroy();
  });

  const list = async () => (await app.inject('/api/backends')).json() as Record<string, unknown>[];

  test('the COMFYUI_URL backend is listed as env, with live health and a masked address', async () => {
    await pool.checkNow();
    const [b] = await list();
    assert.equal(b?.name, 'comfyui-1');
    assert.equal(b?.source, 'env');
    assert.equal(b?.status, 'healthy');
    assert.equal(b?.enabled, true);
    assert.equal(b?.draining, false);
    assert.equal(b?.url, `${simEnv.url}/`);
  });

  let extraId = '';
  test('a backend added through the API joins the pool and is health-checked', async () => {
    const withPassword = await app.inject({
      method: 'POST',
      url: '/api/backends',
      payload: { name: 'gpu-extra', url: simExtra.url.replace('http://', 'http://ops:s3cret@') },
    });
    assert.equal(withPassword.statusCode, 400);
    assert.doesNotMatch(withPassword.body, /s3cret/);

    const res = await app.inject({
      method: 'POST',
      url: '/api/backends',
      payload: { name: 'gpu-extra', url: simExtra.url },
    });
    assert.equal(res.statusCode, 201, res.body);
    extraId = res.json().id;
    assert.equal(res.json().source, 'api');
    await waitFor(
      () => pool.snapshot().some((b) => b.name === 'gpu-extra' && b.status === 'healthy'),
      'gpu-extra healthy',
    );
    const listed = (await list()).find((b) => b.name === 'gpu-extra');
    assert.equal(listed?.status, 'healthy');

    const dup = await app.inject({
      method: 'POST',
      url: '/api/backends',
      payload: { name: 'gpu-extra', url: simExtra.url },
    });
    assert.equal(dup.statusCode, 409);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/backends',
      payload: { name: 'no spaces', url: 'nope' },
    });
    assert.equal(bad.statusCode, 400);

    if (other) {
      const o = other;
      await waitFor(
        () => o.pool.snapshot().some((b) => b.name === 'gpu-extra'),
        'the other process to add gpu-extra',
      );
    }
  });

  test('draining: no new jobs go to the backend, a running one finishes', async () => {
    const envId = (await list()).find((b) => b.name === 'comfyui-1')!.id as string;
    // Hold a job on comfyui-1 by taking a lease, as a worker does while a prompt runs.
    await app.inject({ method: 'PATCH', url: `/api/backends/${extraId}`, payload: { enabled: false } });
    const running = await pool.acquire();
    assert.equal(running.name, 'comfyui-1');
    await app.inject({ method: 'PATCH', url: `/api/backends/${extraId}`, payload: { enabled: true } });

    const res = await app.inject({
      method: 'PATCH',
      url: `/api/backends/${envId}`,
      payload: { draining: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().draining, true);
    assert.equal(pool.snapshot().find((b) => b.name === 'comfyui-1')?.draining, true);
    assert.equal(
      pool.snapshot().find((b) => b.name === 'comfyui-1')?.inFlight,
      1,
      'the running job keeps its slot',
    );

    for (let i = 0; i < 3; i++) {
      const lease = await pool.acquire();
      assert.equal(lease.name, 'gpu-extra', 'new work avoids the draining backend');
      lease.release();
    }
    running.release();
    assert.equal(pool.snapshot().find((b) => b.name === 'comfyui-1')?.inFlight, 0);

    if (other) {
      const o = other;
      await waitFor(
        () => o.pool.snapshot().find((b) => b.name === 'comfyui-1')?.draining === true,
        'drain elsewhere',
      );
    }
    const undrain = await app.inject({
      method: 'PATCH',
      url: `/api/backends/${envId}`,
      payload: { draining: false },
    });
    assert.equal(undrain.json().draining, false);

    const repoint = await app.inject({
      method: 'PATCH',
      url: `/api/backends/${envId}`,
      payload: { url: simExtra.url },
    });
    assert.equal(repoint.statusCode, 400, 'an env backend is re-pointed in COMFYUI_URL, not here');
    const removeEnv = await app.inject({ method: 'DELETE', url: `/api/backends/${envId}` });
    assert.equal(removeEnv.statusCode, 409);
  });

  test('removing an API backend takes it out of every pool', async () => {
    const res = await app.inject({ method: 'DELETE', url: `/api/backends/${extraId}` });
    assert.equal(res.statusCode, 204);
    assert.ok(!pool.snapshot().some((b) => b.name === 'gpu-extra'));
    assert.deepEqual(
      (await list()).map((b) => b.name),
      ['comfyui-1'],
    );
    if (other) {
      const o = other;
      await waitFor(() => !o.pool.snapshot().some((b) => b.name === 'gpu-extra'), 'removal elsewhere');
    }
    const missing = await app.inject({ method: 'DELETE', url: `/api/backends/${extraId}` });
    assert.equal(missing.statusCode, 404);
    const malformed = await app.inject('/api/backends/not-a-uuid');
    assert.equal(malformed.statusCode, 404);
  });
});
