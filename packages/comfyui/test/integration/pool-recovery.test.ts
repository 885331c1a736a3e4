import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimulator } from '@framesmith/comfy-sim';
import { BackendPool } from '../../src/backend-pool.ts';

test('a backend back up is used at once by the next job, though its breaker was open with a long backoff', async () => {
  const sim = await startSimulator({ port: 0, generationMs: 100 });
  const pool = new BackendPool({
    backends: [{ name: 'gpu', url: sim.url }],
    requestTimeoutMs: 2000,
    // A half-open backoff of at least 5 s: without the probe the job would fail well before it.
    retryBaseDelayMs: 5000,
    healthCheckTimeoutMs: 1000,
    healthCheckIntervalMs: 60_000,
    breakerThreshold: 2,
  });
  pool.start();
  try {
    await sim.goDown();
    await pool.checkNow();
    await pool.checkNow();
    const down = pool.snapshot()[0]!;
    assert.equal(down.circuit, 'open');
    assert.equal(down.status, 'unreachable');
    await assert.rejects(pool.acquire(), (e: { code?: string }) => e.code === 'COMFYUI_CONNECTION_ERROR');

    await sim.goUp();
    // The probe that acquire makes is limited to once a second per backend.
    await new Promise((r) => setTimeout(r, 1100));
    const lease = await pool.acquire();
    assert.equal(lease.name, 'gpu');
    lease.release('ok');
    const up = pool.snapshot()[0]!;
    assert.equal(up.circuit, 'closed');
    assert.equal(up.status, 'healthy');
  } finally {
    pool.stop();
    await sim.close();
  }
});
