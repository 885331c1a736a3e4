import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ComfyClient } from '../../src/comfy-client.ts';
import { runGeneration } from '../../src/generation.ts';
import { type OutputDirs, simulatorSuite } from './sim-helpers.ts';
import type { Simulator } from '@framesmith/comfy-sim';

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

  test('are fetched before the finished history entry arrives, and only once', async () => {
    const calls = recorded(client);
    const r = await runGeneration(client, out.request());
    assert.equal(r.outputs.length, 1);
    assert.equal(calls.filter((c) => c === 'view').length, 1, calls.join(' '));
    assert.ok(
      calls.indexOf('view') < calls.indexOf('history:finished'),
      `the fetch starts on \`executed\`, before history is read: ${calls.join(' ')}`,
    );
    assert.ok(r.outputs[0]!.durationSeconds > 0 && r.outputs[0]!.sizeBytes > 0);
  });

  test('a corrupt output found early still fails the generation as COMFYUI_OUTPUT_ERROR', async () => {
    await sim.setFaults([{ kind: 'corrupt_output', count: 1 }]);
    await assert.rejects(runGeneration(client, out.request()), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'COMFYUI_OUTPUT_ERROR');
      return true;
    });
  });
});
