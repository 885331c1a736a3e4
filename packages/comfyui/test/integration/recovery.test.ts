import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ComfyClient } from '../../src/comfy-client.ts';
import { runGeneration } from '../../src/generation.ts';
import { makeClient, type OutputDirs, rejectsWith, simulatorSuite } from './sim-helpers.ts';
import type { Simulator } from '@framesmith/comfy-sim';

/** Lost sockets, lost responses, restarts, re-runs and cancels: nothing is lost or queued twice. */
describe('recovery against the simulator', () => {
  let sim: Simulator;
  let client: ComfyClient;
  let out: OutputDirs;
  simulatorSuite({ generationMs: 600, sameClientIdBug: true }, (s) => {
    ({ sim, client, out } = s);
  });

  test('the WebSocket dropped mid-generation: the job still completes, reconciled through history', async () => {
    await sim.setFaults([{ kind: 'ws_drop', count: 1 }]);
    const r = await runGeneration(client, out.request());
    assert.equal(r.outputs.length, 1);
    assert.ok(r.trace.socketDrops >= 1, 'the socket was dropped');
    assert.ok(r.trace.reconciliations >= 1, 'reconciled through /queue and /history');
  });

  test('a silent WebSocket (no events at all): completes by polling history', async () => {
    await sim.setFaults([{ kind: 'ws_silent', count: 1 }]);
    const r = await runGeneration(client, out.request());
    assert.equal(r.trace.completedVia, 'poll');
    assert.equal(r.outputs.length, 1);
  });

  test('the simulator restarted mid-generation: COMFYUI_PROMPT_LOST, not the generation timeout', async (t) => {
    let restarted: Promise<unknown> | null = null;
    const started = performance.now();
    const req = out.request({
      generationTimeoutMs: 60_000,
      onProgress: (e) => {
        if (e.phase === 'running' && !restarted) restarted = sim.restart();
      },
    });
    const e = await rejectsWith(runGeneration(client, req), 'COMFYUI_PROMPT_LOST');
    await restarted;
    t.diagnostic(`lost detected ${Math.round(performance.now() - started)} ms after submit`);
    assert.equal(e.detail.promptId, req.promptId);
  });

  test('the backend unreachable for a moment mid-generation (its breaker opens): the job still completes', async (t) => {
    // Reconciling while the backend is down opens its breaker; an open breaker is the same outage,
    // so the generation waits out the grace period instead of failing with circuit_open at once.
    const c = makeClient(sim.url, { name: 'blip', breakerThreshold: 2 });
    t.after(() => c.close());
    let opened!: () => void;
    const breakerOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    c.onCircuitChange((s) => s === 'open' && opened());
    let outage: Promise<void> | null = null;
    const req = out.request({
      onProgress: (e) => {
        if (e.phase !== 'running' || outage) return;
        outage = sim.goDown().then(async () => {
          await breakerOpen;
          await sim.goUp();
        });
      },
    });
    const r = await runGeneration(c, req);
    await outage;
    assert.equal(r.outputs.length, 1);
    assert.equal(r.trace.submits, 1);
  });

  test('server errors from /queue while following are waited out like an outage: the job completes', async () => {
    // A silent socket makes the client poll; the first polls then get ComfyUI's plain-text 500.
    await sim.setFaults([{ kind: 'ws_silent', count: 1, atStep: 1 }]);
    let armed = false;
    const req = out.request({
      tuning: { reconcileIntervalMs: 200, lostConfirmMs: 500, unreachableGraceMs: 5000 },
      onProgress: (e) => {
        if (e.phase !== 'running' || armed) return;
        armed = true;
        sim.addFault({ kind: 'http_500', route: '/queue', count: 3 });
      },
    });
    const r = await runGeneration(client, req);
    assert.equal(r.outputs.length, 1);
    assert.equal(r.trace.completedVia, 'poll');
    assert.equal(sim.stats().faultsFired.http_500, 3);
  });

  test('the backend unreachable past the grace period mid-generation: COMFYUI_CONNECTION_ERROR', async (t) => {
    const c = makeClient(sim.url, { name: 'gone', breakerThreshold: 2 });
    t.after(async () => {
      c.close();
      await sim.goUp();
    });
    let down: Promise<void> | null = null;
    const req = out.request({
      tuning: { reconcileIntervalMs: 200, lostConfirmMs: 500, unreachableGraceMs: 1500 },
      onProgress: (e) => {
        if (e.phase === 'running' && !down) down = sim.goDown();
      },
    });
    const e = await rejectsWith(runGeneration(c, req), 'COMFYUI_CONNECTION_ERROR');
    assert.equal(e.detail.reason, 'backend_down_during_generation');
    assert.ok(Number(e.detail.downForMs) >= 1500, `down for ${e.detail.downForMs} ms`);
  });

  test('a submit still in validation when the request times out is waited for, not sent again', async () => {
    // A server slow to validate queues the first send after the client gave up on it (700 ms
    // against a 400 ms timeout). One quick look would miss it and send a second copy.
    await sim.setFaults([{ kind: 'slow', route: '/prompt', ms: 700, count: 1 }]);
    const quick = makeClient(sim.url, { requestTimeoutMs: 400, name: 'slow-validation' });
    const before = sim.stats().submitted;
    const r = await runGeneration(quick, out.request());
    await new Promise((resolve) => setTimeout(resolve, 800)); // any second copy has landed by now
    assert.equal(r.outputs.length, 1);
    assert.equal(r.trace.submits, 1, 'sent once');
    assert.equal(sim.stats().submitted - before, 1, 'queued once');
    quick.close();
  });

  test('a lost POST /prompt response is reconciled, never queued twice', async () => {
    // The server queues the prompt but never answers: the client times out, finds it in /queue, follows it.
    await sim.setFaults([{ kind: 'hang', route: '/prompt', process: true, count: 1 }]);
    const quick = makeClient(sim.url, { requestTimeoutMs: 400, name: 'quick' });
    const r = await runGeneration(quick, out.request());
    assert.equal(r.trace.submits, 1, 'sent once');
    assert.equal(r.outputs.length, 1);
    quick.close();
  });

  test('reconcile-then-submit: a re-run after a crash follows the queued prompt instead of sending it again', async () => {
    const req = out.request();
    await client.submitPrompt(req.graph, { promptId: req.promptId });
    const r = await runGeneration(client, req);
    assert.equal(r.trace.resumed, true);
    assert.equal(r.trace.submits, 0);
    assert.equal(r.outputs.length, 1);
    // And once it is done, a third run just collects it from history.
    const again = await runGeneration(client, { ...req, outputDir: `${req.outputDir}-again` });
    assert.equal(again.trace.resumed, true);
    assert.equal(again.trace.completedVia, 'poll');
  });

  test('cancel through the signal interrupts the running prompt on the backend', async () => {
    const controller = new AbortController();
    const req = out.request({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'running') controller.abort(new Error('cancelled by user'));
      },
    });
    await assert.rejects(runGeneration(client, req), /cancelled by user/);
    const q = await client.getQueue();
    assert.equal(ComfyClient.positionIn(q, req.promptId), null);
    const h = await client.getHistory(req.promptId);
    assert.equal(h?.status?.messages.at(-1)?.[0], 'execution_interrupted');
  });

  test('a queued prompt reports its position, and cancel removes it from the queue', async () => {
    let running!: () => void;
    const firstRunning = new Promise<void>((resolve) => {
      running = resolve;
    });
    const first = out.request({ onProgress: (e) => e.phase === 'running' && running() });
    const firstRun = runGeneration(client, first);
    await firstRunning;
    const controller = new AbortController();
    const positions: number[] = [];
    const second = out.request({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'queued' && e.queuePosition !== undefined) {
          positions.push(e.queuePosition);
          controller.abort(new Error('stop waiting'));
        }
      },
    });
    await assert.rejects(runGeneration(client, second), /stop waiting/);
    assert.equal(positions[0], 1);
    assert.equal(ComfyClient.positionIn(await client.getQueue(), second.promptId), null);
    assert.equal(await client.getHistory(second.promptId), null);
    await firstRun;
  });

  test('health reports version, devices and queue; a down backend is unreachable', async () => {
    const h = await client.health(2000);
    assert.equal(h.status, 'healthy');
    assert.ok(h.version);
    assert.ok(h.devices[0]!.vramTotal > 0);
    assert.equal(typeof h.queueRemaining, 'number');
    const other = makeClient(sim.url, { name: 'health' });
    await sim.goDown();
    try {
      const down = await other.health(2000);
      assert.equal(down.status, 'unreachable');
    } finally {
      await sim.goUp();
      other.close();
    }
  });

  for (const [how, wholeViewMaxBytes] of [
    ['read whole', undefined],
    ['streamed', 0],
  ] as const) {
    test(`an output that cannot be written here is our failure, not the backend being unreachable (${how})`, async (t) => {
      const c = makeClient(sim.url, { name: 'writes', breakerThreshold: 1, wholeViewMaxBytes });
      t.after(() => c.close());
      const ref = { filename: 'example.png', subfolder: '', type: 'input' };
      const e = await rejectsWith(
        c.viewToFile(ref, join(out.dir, 'no-such-dir', 'example.png')),
        'INTERNAL_ERROR',
      );
      assert.equal(e.detail.reason, 'output_write_failed');
      assert.equal(c.circuit, 'closed', 'a local write error says nothing about the backend');
    });
  }

  test('an output is written byte for byte, read whole or streamed', async (t) => {
    const ref = { filename: 'example.png', subfolder: '', type: 'input' };
    const copies: Buffer[] = [];
    for (const wholeViewMaxBytes of [undefined, 0]) {
      const c = makeClient(sim.url, { name: 'copies', wholeViewMaxBytes });
      t.after(() => c.close());
      const path = join(out.dir, `copy-${copies.length}.png`);
      const { sizeBytes } = await c.viewToFile(ref, path);
      const bytes = await readFile(path);
      assert.equal(sizeBytes, bytes.length);
      copies.push(bytes);
    }
    assert.ok(copies[0]!.length > 0);
    assert.deepEqual(copies[0], copies[1]);
  });

  test('one caller giving up on a shared /object_info load does not fail the others', async (t) => {
    const c = makeClient(sim.url, { name: 'fresh' });
    t.after(() => c.close());
    await sim.setFaults([{ kind: 'slow', route: '/object_info', ms: 300, count: 1 }]);
    const cancelled = new AbortController();
    const first = c.objectInfo({ signal: cancelled.signal });
    const second = c.objectInfo();
    cancelled.abort(new Error('segment cancelled'));
    await assert.rejects(first, /segment cancelled/);
    const info = await second;
    assert.ok('KSampler' in info, 'the other caller still gets the node list');
    assert.equal(c.cachedObjectInfo, info);
  });

  test('a hanging backend still shows timeout in health once its breaker has opened', async (t) => {
    const c = makeClient(sim.url, { breakerThreshold: 2, name: 'hanging' });
    t.after(() => c.close());
    const opened = new Promise<void>((resolve) => c.onCircuitChange((s) => s === 'open' && resolve()));
    await sim.setFaults([{ kind: 'hang' }]);
    const first = await c.health(150);
    assert.equal(first.status, 'timeout');
    await opened; // both calls of the check timed out
    const next = await c.health(150);
    assert.equal(next.status, 'timeout', `while its breaker is open: ${next.error}`);
  });

  test('the circuit breaker opens after consecutive connection failures and fails fast', async (t) => {
    const c = makeClient(sim.url, { breakerThreshold: 3, name: 'breaker' });
    await sim.goDown();
    t.after(() => sim.goUp());
    const changes: string[] = [];
    c.onCircuitChange((s) => changes.push(s));
    await rejectsWith(c.getQueue(), 'COMFYUI_CONNECTION_ERROR'); // 3 attempts → 3 failures → open
    assert.equal(c.circuit, 'open');
    const e = await rejectsWith(c.getQueue(), 'COMFYUI_CONNECTION_ERROR');
    assert.equal(e.detail.reason, 'circuit_open');
    assert.deepEqual(changes, ['open']);
    c.close();
  });
});
