import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { startSimulator } from '@framesmith/comfy-sim';
import { type BackendState, BackendPool } from '../../src/backend-pool.ts';
import { runGeneration } from '../../src/generation.ts';
import { deadPort, type OutputDirs, outputDirs, rejectsWith, tinyGraph } from './sim-helpers.ts';

const poolOptions = {
  requestTimeoutMs: 2000,
  retryBaseDelayMs: 200,
  healthCheckTimeoutMs: 1000,
  healthCheckIntervalMs: 100,
  breakerThreshold: 3,
};

function waitForState(pool: BackendPool, pred: (s: BackendState) => boolean): Promise<BackendState> {
  const now = pool.snapshot().find(pred);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const on = (s: BackendState) => {
      if (!pred(s)) return;
      pool.off('change', on);
      resolve(s);
    };
    pool.on('change', on);
  });
}

describe('backend pool against simulators', () => {
  let a: Awaited<ReturnType<typeof startSimulator>>;
  let b: Awaited<ReturnType<typeof startSimulator>>;
  let out: OutputDirs;

  before(async () => {
    a = await startSimulator({ port: 0, generationMs: 200 });
    // b lacks the CreateVideo node: graphs that need it must go to a.
    b = await startSimulator({ port: 0, generationMs: 200, removeNodes: ['CreateVideo'] });
    out = await outputDirs();
  });
  after(async () => {
    await a.close();
    await b.close();
    await out.cleanup();
  });

  test("two backends, one down: every job goes to the other and the down one's breaker opens", async () => {
    const pool = new BackendPool({
      ...poolOptions,
      backends: [
        { name: 'up', url: a.url },
        { name: 'down', url: `http://127.0.0.1:${await deadPort()}` },
      ],
    });
    pool.start();
    try {
      const used: string[] = [];
      for (let i = 0; i < 4; i++) {
        const lease = await pool.acquire();
        used.push(lease.name);
        try {
          await runGeneration(lease.client, out.request());
          lease.release('ok');
        } catch (e) {
          lease.release('error');
          throw e;
        }
      }
      assert.deepEqual(used, ['up', 'up', 'up', 'up']);
      const down = await waitForState(pool, (s) => s.name === 'down' && s.circuit === 'open');
      assert.equal(down.status, 'unreachable');
      assert.ok(down.circuitRetryAt !== null);
      const up = pool.snapshot().find((s) => s.name === 'up')!;
      assert.equal(up.status, 'healthy');
      assert.equal(up.circuit, 'closed');
    } finally {
      pool.stop();
    }
  });

  test('a backend lacking a node gets no job that needs it', async () => {
    const pool = new BackendPool({
      ...poolOptions,
      backends: [
        { name: 'no-create-video', url: b.url },
        { name: 'full', url: a.url },
      ],
    });
    pool.start();
    try {
      const graph = tinyGraph();
      const leases = [];
      for (let i = 0; i < 2; i++) leases.push(await pool.acquire({ requirements: { graph } }));
      assert.deepEqual(
        leases.map((l) => l.name),
        ['full', 'full'],
      );
      for (const l of leases) l.release();
      // Without requirements both are used (least loaded).
      const x = await pool.acquire();
      const y = await pool.acquire();
      assert.deepEqual([x.name, y.name].sort(), ['full', 'no-create-video']);
      x.release();
      y.release();
    } finally {
      pool.stop();
    }
  });

  test('throttling: when every backend is busy, jobs wait in our queue', async () => {
    const pool = new BackendPool({
      ...poolOptions,
      busyThreshold: 1,
      backends: [{ name: 'only', url: a.url }],
    });
    pool.start();
    try {
      const first = await pool.acquire();
      const throttled = once(pool, 'throttled');
      const second = pool.acquire();
      await throttled;
      assert.equal(pool.snapshot()[0]!.inFlight, 1);
      first.release();
      const lease = await second;
      assert.equal(lease.name, 'only');
      lease.release();
    } finally {
      pool.stop();
    }
  });

  test('no usable backend at all: COMFYUI_CONNECTION_ERROR at once', async () => {
    const pool = new BackendPool({
      ...poolOptions,
      backends: [{ name: 'gone', url: `http://127.0.0.1:${await deadPort()}` }],
    });
    pool.start();
    try {
      const e = await rejectsWith(pool.acquire(), 'COMFYUI_CONNECTION_ERROR');
      assert.equal(e.detail.reason, 'no_healthy_backend');
    } finally {
      pool.stop();
    }
  });

  test('disabled and draining backends get no new jobs', async () => {
    const pool = new BackendPool({
      ...poolOptions,
      backends: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
    });
    pool.start();
    try {
      pool.setEnabled('a', false);
      pool.setDraining('b', true);
      await rejectsWith(pool.acquire(), 'COMFYUI_CONNECTION_ERROR');
      pool.setDraining('b', false);
      const l = await pool.acquire();
      assert.equal(l.name, 'b');
      l.release();
    } finally {
      pool.stop();
    }
  });
});
