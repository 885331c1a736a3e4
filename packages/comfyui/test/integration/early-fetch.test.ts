import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ComfyClient } from '../../src/comfy-client.ts';
import { runGeneration } from '../../src/generation.ts';
import { type OutputDirs, simulatorSuite, tinyGraph } from './sim-helpers.ts';
import type { Simulator } from '@framesmith/comfy-sim';
import type { HistoryEntry } from '../../src/comfy-types.ts';

/** A client whose /view and /history calls are recorded in the order they start. */
function recorded(client: ComfyClient) {
  const calls: string[] = [];
  const view = client.viewToFile.bind(client);
  const history = client.getHistory.bind(client);
  client.viewToFile = (...args) => {
    calls.push('view');
    return view(...args);
  };
  client.getHistory = async (...args) => {
    const entry = await history(...args);
    calls.push(entry ? 'history:finished' : 'history:empty');
    return entry;
  };
  return calls;
}

describe('outputs announced by `executed`', () => {
  let sim: Simulator;
  let client: ComfyClient;
  let out: OutputDirs;
  simulatorSuite({ generationMs: 200 }, (s) => {
    ({ sim, client, out } = s);
  });

  test('are fetched once, and with an unbroken socket the result needs no history at all', async () => {
    const calls = recorded(client);
    const r = await runGeneration(client, out.request());
    assert.equal(r.outputs.length, 1);
    assert.equal(calls.filter((c) => c === 'view').length, 1, calls.join(' '));
    // The one history read is the look before submitting (is this prompt id already there?).
    assert.deepEqual(
      calls.filter((c) => c.startsWith('history')),
      ['history:empty'],
      calls.join(' '),
    );
    assert.equal(r.trace.completedVia, 'websocket');
    assert.ok(r.outputs[0]!.durationSeconds > 0 && r.outputs[0]!.sizeBytes > 0);
  });

  test('a prompt id never sent before is submitted without first looking for it on the backend', async () => {
    const calls = recorded(client);
    const queue = client.getQueue.bind(client);
    client.getQueue = (...args) => {
      calls.push('queue');
      return queue(...args);
    };
    const r = await runGeneration(client, out.request({ neverSent: true }));
    assert.equal(r.outputs.length, 1);
    assert.equal(r.trace.submits, 1);
    assert.deepEqual(
      calls.filter((c) => c !== 'view'),
      [],
      'no /queue or /history look before the send',
    );
  });

  test('a corrupt output found early still fails the generation as COMFYUI_OUTPUT_ERROR', async () => {
    await sim.setFaults([{ kind: 'corrupt_output', count: 1 }]);
    await assert.rejects(runGeneration(client, out.request()), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'COMFYUI_OUTPUT_ERROR');
      return true;
    });
  });
});

describe('a prompt whose history is written late', () => {
  let sim: Simulator;
  let client: ComfyClient;
  let out: OutputDirs;
  // ComfyUI writes history after execution_success (protocol §4); here 2 s after.
  simulatorSuite({ generationMs: 200, historyDelayMs: 2000, cache: true }, (s) => {
    ({ sim, client, out } = s);
  });

  /** The video file names a history entry lists. */
  const videosOf = (entry: HistoryEntry) =>
    Object.values(entry.outputs).flatMap((o) =>
      ['images', 'gifs', 'videos'].flatMap((k) => (o[k] ?? []) as { filename: string }[]),
    );

  test('resolves on execution_success with the outputs `executed` announced, before history exists', async () => {
    const r = await runGeneration(client, out.request({ graph: tinyGraph('late history') }));
    assert.equal(await client.getHistory(r.promptId), null, 'it waited for history');
    assert.equal(r.trace.completedVia, 'websocket');
    assert.equal(r.outputs.length, 1);
    assert.ok(r.outputs[0]!.durationSeconds > 0);
    // What the socket told is what history says once it is written.
    const entry = await waitFor(() => client.getHistory(r.promptId));
    assert.deepEqual(
      videosOf(entry).map((v) => `11-${v.filename.split('/').pop()}`),
      [r.outputs[0]!.filename],
    );
  });

  test('an identical prompt, answered from the cache, resolves the same way with the cached outputs', async () => {
    const graph = tinyGraph('cached twice');
    const first = await runGeneration(client, out.request({ graph }));
    const second = await runGeneration(client, out.request({ graph }));
    assert.equal(await client.getHistory(second.promptId), null, 'it waited for history');
    assert.equal(second.trace.completedVia, 'websocket');
    assert.equal(second.outputs[0]!.filename, first.outputs[0]!.filename);
    assert.ok(sim.stats().executed >= 2);
  });

  test('a socket lost mid-generation leaves the outcome to history', async () => {
    await sim.setFaults([{ kind: 'ws_drop', count: 1 }]);
    const r = await runGeneration(client, out.request({ graph: tinyGraph('dropped socket') }));
    assert.ok(r.trace.socketDrops >= 1);
    assert.ok(await client.getHistory(r.promptId), 'resolved before history was written');
    assert.equal(r.outputs.length, 1);
  });
});

async function waitFor<T>(read: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
