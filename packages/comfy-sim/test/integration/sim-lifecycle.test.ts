/** Going down, coming back, restarting, and the CLI. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runSimCli, startSimulator } from '../../src/index.ts';
import { getJson, postJson, submit, t2vGraph, WsClient } from '../helpers.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'comfy-sim-life-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function refused(url: string): Promise<string | undefined> {
  try {
    await fetch(url);
    return undefined;
  } catch (err) {
    return ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** Waits until the URL answers again (a state, polled; bounded so a broken build fails instead of hanging). */
async function reachable(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await refused(url)) === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} never came back`);
}

describe('down and up', () => {
  test('goDown refuses connections (ECONNREFUSED) and drops sockets; goUp listens on the same port', async () => {
    const sim = await startSimulator({ generationMs: 50, steps: 2 });
    try {
      const port = sim.port;
      const ws = await WsClient.open(sim.url, 'life-1');
      await sim.goDown();
      assert.equal(await refused(`${sim.url}/system_stats`), 'ECONNREFUSED');
      assert.equal(await ws.waitClosed(), 1006);
      await sim.goUp();
      assert.equal(sim.port, port);
      assert.equal((await fetch(`${sim.url}/system_stats`)).status, 200);
    } finally {
      await sim.close();
    }
  });

  test('a "down" fault with ms comes back by itself; state survives a network outage', async () => {
    const sim = await startSimulator({ generationMs: 50, steps: 2 });
    try {
      const ws = await WsClient.open(sim.url, 'life-2');
      const { body } = await submit(sim.url, t2vGraph(), 'life-2');
      await ws.done(body['prompt_id'] as string);
      await postJson(`${sim.url}/sim/faults`, { kind: 'down', ms: 300 });
      await ws.waitClosed();
      assert.equal(await refused(`${sim.url}/history`), 'ECONNREFUSED');
      await reachable(`${sim.url}/system_stats`);
      const h = (await getJson(`${sim.url}/history/${body['prompt_id']}`)) as Record<string, unknown>;
      assert.ok(h[body['prompt_id'] as string], 'history kept across a network outage');
      assert.deepEqual(sim.faults(), []);
    } finally {
      await sim.close();
    }
  });

  test('restart wipes queue and history, drops sockets, and keeps serving', async () => {
    const sim = await startSimulator({ generationMs: 400, steps: 4 });
    try {
      const ws = await WsClient.open(sim.url, 'life-3');
      const running = await submit(sim.url, t2vGraph(), 'life-3');
      const pending = await submit(sim.url, t2vGraph(), 'life-3');
      await ws.waitFor((f) => f.type === 'progress');
      await sim.restart();
      assert.equal(await ws.waitClosed(), 1006);
      assert.deepEqual(await getJson(`${sim.url}/queue`), { queue_running: [], queue_pending: [] });
      assert.deepEqual(await getJson(`${sim.url}/history/${running.body['prompt_id']}`), {});
      assert.deepEqual(await getJson(`${sim.url}/history/${pending.body['prompt_id']}`), {});
      assert.equal(sim.stats().lost, 2);
      assert.equal(sim.stats().restarts, 1);
      const again = await WsClient.open(sim.url, 'life-3');
      const next = await submit(sim.url, t2vGraph(), 'life-3');
      assert.equal(next.body['number'], 0);
      await again.done(next.body['prompt_id'] as string);
      again.close();
    } finally {
      await sim.close();
    }
  });

  test('restart with downMs refuses connections for a while (POST /sim/restart)', async () => {
    const sim = await startSimulator({ generationMs: 50 });
    try {
      await postJson(`${sim.url}/sim/restart`, { downMs: 300 });
      await reachable(`${sim.url}/system_stats`);
      assert.equal(sim.stats().restarts, 1);
    } finally {
      await sim.close();
    }
  });
});

describe('sockets and installed nodes', () => {
  test('reconnecting mid-prompt gets status, then the node that is executing', async () => {
    const sim = await startSimulator({ generationMs: 300, steps: 3 });
    try {
      const ws = await WsClient.open(sim.url, 'life-4');
      const { body } = await submit(sim.url, t2vGraph(), 'life-4');
      await ws.waitFor((f) => f.type === 'progress' && f.data['prompt_id'] === body['prompt_id']);
      ws.close();
      await ws.waitClosed();
      const again = new WsClient(`${sim.url.replace('http', 'ws')}/ws?clientId=life-4`);
      const first = await again.waitFor(() => true);
      assert.equal(first.type, 'status');
      assert.equal(first.data['sid'], 'life-4');
      const second = await again.waitFor((f) => f !== first);
      assert.deepEqual(second, { type: 'executing', data: { node: '8' } });
      await again.done(body['prompt_id'] as string);
      again.close();
    } finally {
      await sim.close();
    }
  });

  test('sameClientIdBug: once the older socket closes, the newer one with the same clientId gets nothing', async () => {
    const sim = await startSimulator({ generationMs: 50, steps: 2, sameClientIdBug: true });
    try {
      const older = await WsClient.open(sim.url, 'same');
      const newer = await WsClient.open(sim.url, 'same');
      older.close();
      await older.waitClosed();
      const watcher = await WsClient.open(sim.url, 'watcher');
      const { body } = await submit(sim.url, t2vGraph(), 'same');
      // task_done's status broadcast (no sid, queue empty) goes out in the same tick as the final executing.
      await watcher.waitFor(
        (f) =>
          f.type === 'status' &&
          !('sid' in f.data) &&
          (f.data['status'] as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0,
      );
      assert.equal(newer.ofPrompt(body['prompt_id'] as string).length, 0);
      assert.deepEqual(
        newer.frames.map((f) => f.type),
        ['status'],
      );
      watcher.close();
    } finally {
      await sim.close();
    }
  });

  test('removeNodes and models shape /object_info and validation', async () => {
    const sim = await startSimulator({ removeNodes: ['KSampler'], models: { diffusion_models: [] } });
    try {
      assert.deepEqual(await getJson(`${sim.url}/object_info/KSampler`), {});
      assert.deepEqual(await getJson(`${sim.url}/models/diffusion_models`), []);
      const r = await submit(sim.url, t2vGraph(), null);
      assert.equal(r.status, 400);
      assert.deepEqual(r.body['error'], {
        type: 'invalid_prompt',
        message: 'Cannot execute because node KSampler does not exist.',
        details: "Node ID '#8'",
        extra_info: {},
      });
    } finally {
      await sim.close();
    }
  });
});

describe('newer-server behaviour', () => {
  test('rejectDuplicatePromptId: 409 for a prompt_id already queued or in history', async () => {
    const sim = await startSimulator({ generationMs: 50, steps: 1, rejectDuplicatePromptId: true });
    try {
      const ws = await WsClient.open(sim.url, 'dup');
      assert.equal((await submit(sim.url, t2vGraph(), 'dup', 'same-id')).status, 200);
      const queued = await postJson(`${sim.url}/prompt`, { prompt: t2vGraph(), prompt_id: 'same-id' });
      assert.equal(queued.status, 409);
      assert.deepEqual(queued.json, { error: 'prompt_id already exists' });
      await ws.done('same-id');
      assert.equal((await submit(sim.url, t2vGraph(), 'dup', 'same-id')).status, 409);
      ws.close();
    } finally {
      await sim.close();
    }
  });
});

describe('output cache (cache: true)', () => {
  test('an identical prompt replays from the cache; a changed prompt reuses the loaders only', async () => {
    const sim = await startSimulator({ generationMs: 50, steps: 2, cache: true });
    try {
      const ws = await WsClient.open(sim.url, 'cache');
      const run = async (graph: unknown) => {
        const { body } = await submit(sim.url, graph, 'cache');
        const id = body['prompt_id'] as string;
        await ws.done(id);
        const h = (await getJson(`${sim.url}/history/${id}`)) as Record<string, { outputs: unknown }>;
        return { frames: ws.ofPrompt(id), outputs: h[id]!.outputs };
      };
      const first = await run(t2vGraph());
      assert.deepEqual(first.frames.find((f) => f.type === 'execution_cached')!.data['nodes'], []);

      const second = await run(t2vGraph());
      const cachedNodes = second.frames.find((f) => f.type === 'execution_cached')!.data['nodes'] as string[];
      assert.deepEqual([...cachedNodes].sort(), ['1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.ok(!second.frames.some((f) => f.type === 'executing' && f.data['node'] !== null));
      assert.ok(!second.frames.some((f) => f.type === 'progress'));
      const replay = second.frames.find((f) => f.type === 'executed')!;
      assert.deepEqual(replay.data['output'], (first.outputs as Record<string, unknown>)['11']);
      assert.deepEqual(second.outputs, first.outputs);

      const changed = t2vGraph();
      changed['4']!.inputs['text'] = 'a different prompt';
      const third = await run(changed);
      const reused = third.frames.find((f) => f.type === 'execution_cached')!.data['nodes'] as string[];
      assert.deepEqual([...reused].sort(), ['1', '2', '3', '5', '6', '7']);
      assert.notDeepEqual(third.outputs, first.outputs);
      ws.close();
    } finally {
      await sim.close();
    }
  });
});

describe('runSimCli', () => {
  test('prints the URL, applies --fault and --faults-file, stops cleanly', async () => {
    const file = path.join(scratch, 'faults.json');
    writeFileSync(file, JSON.stringify({ faults: [{ kind: 'node_error', count: 2 }] }));
    const out: string[] = [];
    let stop = () => {};
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let printed: (line: string) => void = () => {};
    const urlLine = new Promise<string>((resolve) => {
      printed = resolve;
    });
    const done = runSimCli(
      ['--port', '0', '--generation-ms', '50', '--fault', 'oom:1', '--faults-file', file],
      {
        out: (line) => {
          out.push(line);
          printed(line);
        },
        err: () => {},
        until,
      },
    );
    const line = await urlLine;
    const url = line.match(/http:\/\/\S+/)![0];
    const faults = (await getJson(`${url}/sim/faults`)) as { faults: { kind: string; remaining: number }[] };
    assert.deepEqual(
      faults.faults.map((f) => [f.kind, f.remaining]),
      [
        ['oom', 1],
        ['node_error', 2],
      ],
    );
    stop();
    assert.equal(await done, 0);
    assert.equal(out.length, 1);
    assert.equal(await refused(`${url}/system_stats`), 'ECONNREFUSED');
  });

  test('a port already in use: exit code 1 with a message naming the port', async () => {
    const sim = await startSimulator();
    try {
      const err: string[] = [];
      const code = await runSimCli(['--port', String(sim.port)], { out: () => {}, err: (l) => err.push(l) });
      assert.equal(code, 1);
      assert.match(err.join('\n'), new RegExp(`port ${sim.port} is already in use`));
    } finally {
      await sim.close();
    }
  });

  test('--help prints usage; unknown flags and bad values print usage and return 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    assert.equal(await runSimCli(['--help'], io), 0);
    assert.match(out.join('\n'), /--generation-ms/);
    assert.equal(await runSimCli(['--bogus'], io), 2);
    assert.match(err.join('\n'), /unknown option --bogus/);
    assert.equal(await runSimCli(['--fault', 'meteor'], io), 2);
    assert.equal(await runSimCli(['--port'], io), 2);
  });
});
