import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowGraph } from '@framesmith/core';
import type { ComfyClient } from '../../src/comfy-client.ts';
import { runGeneration } from '../../src/generation.ts';
import {
  deadPort,
  makeClient,
  type OutputDirs,
  recordingLogger,
  rejectsWith,
  tinyGraph,
  tinyImageGraph,
  simulatorSuite,
} from './sim-helpers.ts';
import type { Simulator } from '@framesmith/comfy-sim';

/**
 * Every code of ARCHITECTURE §7 that ComfyUI can produce, from the real client against a real
 * simulator: the right code, the right retryable flag and a useful detail.
 */
describe('error codes against the simulator', () => {
  let sim: Simulator;
  let client: ComfyClient;
  let out: OutputDirs;
  simulatorSuite({ generationMs: 200 }, (s) => {
    ({ sim, client, out } = s);
  });

  test('success: outputs fetched and checked with ffprobe', async () => {
    const progress: string[] = [];
    const r = await runGeneration(client, out.request({ onProgress: (e) => progress.push(e.phase) }));
    assert.equal(r.backend, 'sim');
    assert.equal(r.outputs.length, 1);
    const o = r.outputs[0]!;
    assert.ok(o.durationSeconds > 0);
    assert.equal(o.width, 160);
    assert.equal(o.height, 96);
    assert.ok(o.sizeBytes > 0);
    assert.ok(progress.includes('running'));
    assert.equal(r.trace.submits, 1);
  });

  test('COMFYUI_CONNECTION_ERROR: the backend is down (refuses connections)', async () => {
    const other = makeClient(sim.url, { name: 'down-one' });
    await sim.goDown();
    try {
      const e = await rejectsWith(runGeneration(other, out.request()), 'COMFYUI_CONNECTION_ERROR');
      assert.equal(e.detail.errno, 'ECONNREFUSED');
      assert.equal(e.detail.backend, 'down-one');
    } finally {
      await sim.goUp();
      other.close();
    }
  });

  test('COMFYUI_CONNECTION_ERROR: nothing listening, after the call-level retries', async (t) => {
    const logger = recordingLogger();
    const dead = makeClient(`http://127.0.0.1:${await deadPort()}`, { logger, name: 'dead' });
    const started = performance.now();
    const e = await rejectsWith(runGeneration(dead, out.request()), 'COMFYUI_CONNECTION_ERROR');
    t.diagnostic(`failed after ${Math.round(performance.now() - started)} ms`);
    assert.equal(e.detail.errno, 'ECONNREFUSED');
    assert.equal(logger.lines.filter((l) => l.msg === 'comfyui call retry').length, 2);
    dead.close();
  });

  test('COMFYUI_TIMEOUT: a request gets no answer within the request timeout', async () => {
    const slowClient = makeClient(sim.url, { requestTimeoutMs: 300, name: 'slow' });
    await sim.setFaults([{ kind: 'slow', ms: 2000 }]);
    const e = await rejectsWith(runGeneration(slowClient, out.request()), 'COMFYUI_TIMEOUT');
    assert.equal(e.detail.reason, 'request_timeout');
    slowClient.close();
  });

  test('COMFYUI_TIMEOUT: generation exceeds its timeout, counted from execution start', async () => {
    await sim.setFaults([{ kind: 'hang', variant: 'generation', count: 1 }]);
    const e = await rejectsWith(
      runGeneration(client, out.request({ generationTimeoutMs: 800 })),
      'COMFYUI_TIMEOUT',
    );
    assert.equal(e.detail.reason, 'generation_timeout');
    assert.equal(e.detail.timeoutMs, 800);
  });

  test('COMFYUI_TIMEOUT: a prompt stuck in the queue behind a hung one is removed, not waited on forever', async () => {
    await sim.setFaults([{ kind: 'hang', variant: 'generation', count: 1 }]);
    const hung = out.request({ generationTimeoutMs: 60_000 });
    const first = runGeneration(client, hung).catch((e: unknown) => e);
    try {
      const waiting = out.request({ generationTimeoutMs: 60_000, queueTimeoutMs: 500 });
      const e = await rejectsWith(runGeneration(client, waiting), 'COMFYUI_TIMEOUT');
      assert.equal(e.detail.reason, 'queue_timeout');
      assert.equal(e.retryable, true);
      const queue = await client.getQueue();
      assert.ok(
        !queue.queue_pending.some((item) => item[1] === waiting.promptId),
        'the waiting prompt was deleted from the backend queue',
      );
    } finally {
      await client.cancel(hung.promptId);
      await first;
    }
  });

  test('COMFYUI_WORKFLOW_ERROR: plain-text 500 on submit', async () => {
    await sim.setFaults([{ kind: 'submit_500', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_WORKFLOW_ERROR');
    assert.equal(e.detail.httpStatus, 500);
  });

  test('COMFYUI_WORKFLOW_ERROR: required input missing (server validation)', async () => {
    const graph = tinyGraph();
    delete graph['8']!.inputs.latent_image;
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_WORKFLOW_ERROR');
    assert.equal(e.detail.errorType, 'required_input_missing');
    assert.equal(e.detail.nodeId, '8');
    assert.equal(e.detail.inputName, 'latent_image');
  });

  test('COMFYUI_WORKFLOW_ERROR: a UI-format save is refused before sending', async () => {
    const graph = { nodes: [], links: [], version: 0.4 } as unknown as WorkflowGraph;
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_WORKFLOW_ERROR');
    assert.equal(e.detail.reason, 'ui_format');
  });

  test('COMFYUI_WORKFLOW_ERROR: return type mismatch (fault)', async () => {
    await sim.setFaults([{ kind: 'return_type_mismatch', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_WORKFLOW_ERROR');
    assert.equal(e.detail.errorType, 'return_type_mismatch');
    assert.ok(e.detail.nodeId);
  });

  test('COMFYUI_MISSING_NODE: invalid_prompt "does not exist" (v0.3.64 shape)', async () => {
    await sim.setFaults([{ kind: 'missing_node', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_MISSING_NODE');
    assert.ok(e.detail.nodeType);
    assert.match(e.userMessage, new RegExp(String(e.detail.nodeType)));
  });

  test('COMFYUI_MISSING_NODE: missing_node_type (newer shape)', async () => {
    await sim.setFaults([{ kind: 'missing_node_type', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_MISSING_NODE');
    assert.ok(e.detail.nodeType);
  });

  test('COMFYUI_MISSING_NODE: preflight names an uninstalled node type', async () => {
    const graph = tinyGraph();
    graph['10']!.class_type = 'WanVideoCombineDeluxe';
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_MISSING_NODE');
    assert.deepEqual(e.detail.missing, ['WanVideoCombineDeluxe']);
    assert.equal(e.detail.reason, 'preflight');
  });

  test('COMFYUI_MISSING_MODEL: value_not_in_list from the server', async () => {
    await sim.setFaults([{ kind: 'missing_model', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_MISSING_MODEL');
    assert.ok(e.detail.inputName);
    assert.ok(e.detail.receivedValue);
  });

  test('COMFYUI_MISSING_MODEL: FileNotFoundError at run time', async () => {
    await sim.setFaults([{ kind: 'missing_model', variant: 'runtime', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_MISSING_MODEL');
    assert.equal(e.detail.exceptionType, 'FileNotFoundError');
  });

  test('COMFYUI_MISSING_MODEL: preflight names the file and the closest installed names', async () => {
    const graph = tinyGraph();
    graph['1']!.inputs.unet_name = 'wan2.1_t2v_1.3B_fp32.safetensors';
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_MISSING_MODEL');
    assert.equal(e.detail.receivedValue, 'wan2.1_t2v_1.3B_fp32.safetensors');
    assert.equal((e.detail.suggestions as string[])[0], 'wan2.1_t2v_1.3B_fp16.safetensors');
  });

  test('COMFYUI_INVALID_PARAMETERS: a width over the maximum (server validation)', async () => {
    const graph = tinyGraph();
    graph['6']!.inputs.width = 99_999;
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_INVALID_PARAMETERS');
    assert.equal(e.detail.errorType, 'value_bigger_than_max');
    assert.equal(e.detail.inputName, 'width');
    assert.equal(e.detail.receivedValue, 99_999);
  });

  test('COMFYUI_INVALID_PARAMETERS: value_not_in_list on a sampler (server validation)', async () => {
    const graph = tinyGraph();
    graph['8']!.inputs.sampler_name = 'no_such_sampler';
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_INVALID_PARAMETERS');
    assert.equal(e.detail.inputName, 'sampler_name');
  });

  test('COMFYUI_INPUT_MISSING: LoadImage of a file the server does not have', async () => {
    const graph = tinyImageGraph('never-uploaded.png');
    const e = await rejectsWith(runGeneration(client, out.request({ graph })), 'COMFYUI_INPUT_MISSING');
    assert.equal(e.detail.nodeType, 'LoadImage');
    assert.equal(e.detail.receivedValue, 'never-uploaded.png');
  });

  test('COMFYUI_INPUT_MISSING: input_missing fault', async () => {
    await sim.setFaults([{ kind: 'input_missing', count: 1 }]);
    const e = await rejectsWith(
      runGeneration(client, out.request({ graph: tinyImageGraph() })),
      'COMFYUI_INPUT_MISSING',
    );
    assert.equal(e.detail.nodeType, 'LoadImage');
  });

  test('COMFYUI_INPUT_MISSING: an uploaded image is accepted under the name the server returns', async () => {
    const png = await readFile(join(sim.inputDir, 'example.png'));
    const ref = await client.uploadImage(png, 'start-frame.png');
    assert.equal(ref.type, 'input');
    const r = await runGeneration(client, out.request({ graph: tinyImageGraph(ref.filename) }));
    assert.equal(r.outputs.length, 1);
  });

  for (const variant of ['torch', 'cuda', 'accelerator', 'hip']) {
    test(`COMFYUI_OUT_OF_MEMORY: ${variant}`, async () => {
      await sim.setFaults([{ kind: 'oom', variant, count: 1 }]);
      const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_OUT_OF_MEMORY');
      assert.ok(e.detail.exceptionType);
      assert.ok(e.detail.nodeId);
    });
  }

  test('COMFYUI_GENERATION_ERROR: a node fails', async () => {
    await sim.setFaults([{ kind: 'node_error', count: 1, exceptionType: 'RuntimeError', message: 'boom' }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_GENERATION_ERROR');
    assert.equal(e.detail.exceptionType, 'RuntimeError');
    assert.ok(e.detail.nodeType);
    assert.ok(!e.userMessage.includes('boom'));
  });

  test('COMFYUI_INTERRUPTED: someone else interrupts it', async () => {
    await sim.setFaults([{ kind: 'interrupt', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_INTERRUPTED');
    assert.ok(e.detail.nodeId);
  });

  test('COMFYUI_PROMPT_LOST: a simulated restart wipes queue and history', async () => {
    await sim.setFaults([{ kind: 'prompt_lost', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_PROMPT_LOST');
    assert.equal(e.detail.reason, 'not_in_queue_or_history');
  });

  test('COMFYUI_OUTPUT_ERROR: finished without output', async () => {
    await sim.setFaults([{ kind: 'no_output', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_OUTPUT_ERROR');
    assert.equal(e.detail.reason, 'no_video_output');
  });

  test('COMFYUI_OUTPUT_ERROR: a corrupt video', async () => {
    await sim.setFaults([{ kind: 'corrupt_output', count: 1 }]);
    const e = await rejectsWith(runGeneration(client, out.request()), 'COMFYUI_OUTPUT_ERROR');
    assert.ok(
      ['undecodable', 'empty_file', 'no_video_stream', 'no_duration'].includes(String(e.detail.reason)),
    );
  });
});
