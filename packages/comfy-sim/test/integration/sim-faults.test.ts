/** Every fault kind, observed from the outside over HTTP and WebSocket. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { type FaultSpec, type Simulator, startSimulator, SUBMIT_FAULT_KINDS } from '../../src/index.ts';
import { type Frame, getJson, i2vGraph, postJson, probe, submit, t2vGraph, WsClient } from '../helpers.ts';

let sim: Simulator;
const scratch = mkdtempSync(path.join(tmpdir(), 'comfy-sim-faults-'));
const sockets: WsClient[] = [];
let n = 0;

before(async () => {
  sim = await startSimulator({ generationMs: 120, steps: 4 });
});
afterEach(async () => {
  sim.clearFaults();
  // Drop whatever a test left queued or running, so the next test's prompt runs at once.
  await postJson(`${sim.url}/queue`, { clear: true });
  await postJson(`${sim.url}/interrupt`, {});
});
after(async () => {
  for (const s of sockets) s.close();
  await sim.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function client(): Promise<{ ws: WsClient; id: string }> {
  const id = `fault-client-${++n}`;
  const ws = await WsClient.open(sim.url, id);
  sockets.push(ws);
  return { ws, id };
}

async function setFaults(body: unknown): Promise<void> {
  const r = await postJson(`${sim.url}/sim/faults`, body);
  assert.equal(r.status, 200, r.text);
}

/** Runs the t2v graph with one fault armed; returns the prompt's frames and its history entry. */
async function runWith(fault: FaultSpec | null, graph: unknown = t2vGraph()) {
  if (fault) await setFaults(fault);
  const { ws, id } = await client();
  const { status, body } = await submit(sim.url, graph, id);
  assert.equal(status, 200, JSON.stringify(body));
  const promptId = body['prompt_id'] as string;
  await ws.done(promptId);
  const history = (await getJson(`${sim.url}/history/${promptId}`)) as Record<
    string,
    Record<string, unknown>
  >;
  return { ws, promptId, frames: ws.ofPrompt(promptId), entry: history[promptId]! };
}

function lastMessage(entry: Record<string, unknown>): [string, Record<string, unknown>] {
  return (entry['status'] as { messages: [string, Record<string, unknown>][] }).messages.at(-1)!;
}

describe('control endpoints', () => {
  test('POST adds, GET lists with what is left, DELETE clears; bad specs are a 400 naming the field', async () => {
    await setFaults({
      faults: [
        { kind: 'oom', count: 2 },
        { kind: 'slow', ms: 10, route: '/nothing' },
      ],
    });
    const listed = (await getJson(`${sim.url}/sim/faults`)) as { faults: Record<string, unknown>[] };
    assert.deepEqual(
      listed.faults.map((f) => [f['kind'], f['remaining'], f['fired']]),
      [
        ['oom', 2, 0],
        ['slow', null, 0],
      ],
    );
    const bad = await postJson(`${sim.url}/sim/faults`, { kind: 'meteor' });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: string }).error, /unknown fault kind "meteor"/);
    const cleared = await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' });
    assert.deepEqual(await cleared.json(), { faults: [] });
    assert.deepEqual(sim.faults(), []);
  });

  test('a fault with count 1 fires once; probability 0 never fires', async () => {
    await setFaults({ kind: 'submit_500', probability: 0 });
    assert.equal((await submit(sim.url, t2vGraph(), null)).status, 200);
    sim.setFaults([{ kind: 'submit_500', count: 1 }]);
    assert.equal((await postJson(`${sim.url}/prompt`, { prompt: t2vGraph() })).status, 500);
    assert.equal((await submit(sim.url, t2vGraph(), null)).status, 200);
    assert.equal(sim.stats().faultsFired.submit_500, 1);
  });
});

describe('submit faults', () => {
  test('submit_500: the plain-text aiohttp 500, connection closed', async () => {
    await setFaults({ kind: 'submit_500', count: 1 });
    const res = await fetch(`${sim.url}/prompt`, {
      method: 'POST',
      body: JSON.stringify({ prompt: t2vGraph() }),
    });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('connection'), 'close');
    assert.equal(await res.text(), '500 Internal Server Error\n\nServer got itself in trouble');
  });

  const expectedType: Record<string, string> = {
    no_prompt: 'no_prompt',
    invalid_prompt: 'invalid_prompt',
    missing_node: 'invalid_prompt',
    missing_node_type: 'missing_node_type',
    prompt_no_outputs: 'prompt_no_outputs',
  };
  for (const kind of SUBMIT_FAULT_KINDS.filter((k) => k !== 'submit_500')) {
    test(`${kind}: a 400 with ComfyUI's error shape`, async () => {
      await setFaults({ kind, count: 1 });
      const graph = kind === 'input_missing' || kind === 'custom_validation_failed' ? i2vGraph() : t2vGraph();
      const r = await submit(sim.url, graph, null);
      assert.equal(r.status, 400);
      const error = r.body['error'] as {
        type: string;
        message: string;
        details: string;
        extra_info: unknown;
      };
      assert.deepEqual(Object.keys(error).sort(), ['details', 'extra_info', 'message', 'type']);
      assert.equal(error.type, expectedType[kind] ?? 'prompt_outputs_failed_validation');
      const nodeErrors = r.body['node_errors'] as Record<
        string,
        { errors: { type: string }[]; dependent_outputs: string[] }
      >;
      if (!expectedType[kind]) {
        const types = Object.values(nodeErrors).flatMap((e) => e.errors.map((x) => x.type));
        const wanted =
          kind === 'missing_model'
            ? 'value_not_in_list'
            : kind === 'input_missing'
              ? 'custom_validation_failed'
              : kind;
        assert.deepEqual(types, [wanted]);
        for (const e of Object.values(nodeErrors)) assert.ok(e.dependent_outputs.length > 0);
      } else {
        assert.deepEqual(nodeErrors, {});
      }
      // count 1: the next prompt goes through
      assert.equal((await submit(sim.url, graph, null)).status, 200);
    });
  }
});

describe('run faults', () => {
  for (const [variant, type, tips] of [
    [undefined, 'torch.OutOfMemoryError', true],
    ['cuda', 'torch.cuda.OutOfMemoryError', true],
    ['accelerator', 'torch.AcceleratorError', false],
  ] as const) {
    test(`oom${variant ? ` (${variant})` : ''}: execution_error ${type} on the sampler`, async () => {
      const { frames, entry, promptId } = await runWith({
        kind: 'oom',
        count: 1,
        ...(variant ? { variant } : {}),
      });
      const err = frames.find((f) => f.type === 'execution_error')!;
      assert.equal(err.data['exception_type'], type);
      assert.equal(err.data['node_id'], '8');
      assert.equal(err.data['node_type'], 'KSampler');
      assert.equal(err.data['prompt_id'], promptId);
      const msg = String(err.data['exception_message']);
      // "{str(ex)}\n{tips}": with no tips the message ends in a bare newline.
      if (tips)
        assert.match(
          msg,
          /\nThis error means you ran out of memory on your GPU\.\n\nTIPS: .*large number\.$/,
        );
      else assert.ok(msg.endsWith('.\n\n') || msg.endsWith('\n'));
      assert.equal(msg.includes('This error means you ran out of memory'), tips);
      assert.deepEqual(Object.keys(err.data).sort(), [
        'current_inputs',
        'current_outputs',
        'exception_message',
        'exception_type',
        'executed',
        'node_id',
        'node_type',
        'prompt_id',
        'timestamp',
        'traceback',
      ]);
      assert.deepEqual((err.data['current_inputs'] as Record<string, unknown[]>)['steps'], [30]);
      assert.ok(!frames.some((f) => f.type === 'execution_success'));
      const [event, data] = lastMessage(entry);
      assert.equal(event, 'execution_error');
      assert.equal(data['exception_type'], type);
      assert.deepEqual(entry['status'] && (entry['status'] as { status_str: string }).status_str, 'error');
    });
  }

  test('a job far too large for the GPU runs out of memory by itself (oomAbovePixels)', async () => {
    const g = t2vGraph();
    g['6']!.inputs['width'] = 1920;
    g['6']!.inputs['height'] = 1088;
    g['6']!.inputs['length'] = 245;
    const { frames } = await runWith(null, g);
    const err = frames.find((f) => f.type === 'execution_error')!;
    assert.equal(err.data['exception_type'], 'torch.OutOfMemoryError');
    assert.match(String(err.data['exception_message']), /^CUDA out of memory\. Tried to allocate/);
    assert.ok(!frames.some((f) => f.type === 'progress'));
  });

  test('node_error: execution_error from the chosen node with the given exception', async () => {
    const { frames } = await runWith({
      kind: 'node_error',
      node: '9',
      exceptionType: 'RuntimeError',
      message: 'VAE decode failed',
      count: 1,
    });
    const err = frames.find((f) => f.type === 'execution_error')!;
    assert.equal(err.data['node_id'], '9');
    assert.equal(err.data['node_type'], 'VAEDecode');
    assert.equal(err.data['exception_message'], 'VAE decode failed\n');
    assert.ok((err.data['executed'] as string[]).includes('8'));
  });

  test('missing_model (runtime): FileNotFoundError from the loader at execution', async () => {
    const { frames } = await runWith({ kind: 'missing_model', variant: 'runtime', count: 1 });
    const err = frames.find((f) => f.type === 'execution_error')!;
    assert.equal(err.data['exception_type'], 'FileNotFoundError');
    assert.equal(err.data['node_type'], 'UNETLoader');
    assert.equal(
      err.data['exception_message'],
      "Model in folder 'diffusion_models' with filename 'wan2.1_t2v_1.3B_fp16.safetensors' not found.\n",
    );
  });

  test('interrupt: execution_interrupted, history ends with it', async () => {
    const { frames, entry } = await runWith({ kind: 'interrupt', count: 1, atStep: 1 });
    const int = frames.find((f) => f.type === 'execution_interrupted')!;
    assert.equal(int.data['node_id'], '8');
    assert.deepEqual(
      frames.filter((f) => f.type === 'progress').map((f) => f.data['value']),
      [1],
    );
    assert.equal(lastMessage(entry)[0], 'execution_interrupted');
  });

  test('no_output: success without an executed event and without outputs', async () => {
    const { frames, entry } = await runWith({ kind: 'no_output', count: 1 });
    assert.ok(frames.some((f) => f.type === 'execution_success'));
    assert.ok(!frames.some((f) => f.type === 'executed'));
    assert.deepEqual(entry['outputs'], {});
  });

  test('corrupt_output: the reported file is garbage that ffprobe rejects', async () => {
    const { entry } = await runWith({ kind: 'corrupt_output', count: 1 });
    const img = (entry['outputs'] as Record<string, { images: { filename: string; subfolder: string }[] }>)[
      '11'
    ]!.images[0]!;
    const res = await fetch(
      `${sim.url}/view?filename=${img.filename}&subfolder=${img.subfolder}&type=output`,
    );
    assert.equal(res.status, 200);
    const file = path.join(scratch, 'corrupt.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    await assert.rejects(probe(file));
  });

  test('VHS_VideoCombine and SaveAnimatedWEBP report outputs in their own shapes', async () => {
    const g = t2vGraph() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    delete g['10'];
    g['11'] = {
      class_type: 'VHS_VideoCombine',
      inputs: {
        images: ['9', 0],
        frame_rate: 8,
        loop_count: 0,
        filename_prefix: 'vhs/clip',
        format: 'video/h264-mp4',
        pingpong: false,
        save_output: true,
      },
    };
    g['12'] = {
      class_type: 'SaveAnimatedWEBP',
      inputs: {
        images: ['9', 0],
        filename_prefix: 'webp',
        fps: 8,
        lossless: false,
        quality: 80,
        method: 'default',
      },
    };
    const { entry } = await runWith(null, g);
    const outputs = entry['outputs'] as Record<string, Record<string, Record<string, unknown>[]>>;
    const gif = outputs['11']!['gifs']![0]!;
    assert.equal(gif['subfolder'], 'vhs');
    assert.equal(gif['type'], 'output');
    assert.equal(gif['format'], 'video/h264-mp4');
    assert.equal(gif['frame_rate'], 8);
    assert.match(String(gif['filename']), /^clip_\d{5}\.mp4$/);
    assert.match(String(gif['workflow']), /^clip_\d{5}\.png$/);
    const res = await fetch(`${sim.url}/view?filename=${gif['filename']}&subfolder=vhs&type=output`);
    const file = path.join(scratch, 'vhs.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    assert.equal((await probe(file)).frames, 9);
    assert.deepEqual(outputs['12']!['animated'], [true]);
    assert.match(String(outputs['12']!['images']![0]!['filename']), /^webp_\d{5}_\.webp$/);
  });

  test('ws_drop: the socket closes mid-generation, the prompt still completes; a reconnect sees the end', async () => {
    await setFaults({ kind: 'ws_drop', count: 1, atStep: 1 });
    const { ws, id } = await client();
    const { body } = await submit(sim.url, t2vGraph(), id);
    const promptId = body['prompt_id'] as string;
    assert.equal(await ws.waitClosed(), 1006);
    const again = await WsClient.open(sim.url, id);
    sockets.push(again);
    await again.done(promptId);
    const h = (await getJson(`${sim.url}/history/${promptId}`)) as Record<
      string,
      { status: { status_str: string } }
    >;
    assert.equal(h[promptId]!.status.status_str, 'success');
  });

  test('ws_silent: the socket stays open but gets nothing more; a new socket for the client does', async () => {
    await setFaults({ kind: 'ws_silent', count: 1, atStep: 1 });
    const { ws, id } = await client();
    const { body } = await submit(sim.url, t2vGraph(), id);
    const promptId = body['prompt_id'] as string;
    await ws.waitFor((f) => f.type === 'progress' && f.data['prompt_id'] === promptId);
    const fresh = await WsClient.open(sim.url, id);
    sockets.push(fresh);
    await fresh.done(promptId);
    assert.equal(ws.closeCode, null);
    assert.ok(
      !ws.frames.some((f: Frame) => f.type === 'execution_success' && f.data['prompt_id'] === promptId),
    );
  });

  test('hang (generation): the prompt stays running until interrupted', async () => {
    await setFaults({ kind: 'hang', variant: 'generation', count: 1, atStep: 2 });
    const { ws, id } = await client();
    const { body } = await submit(sim.url, t2vGraph(), id);
    const promptId = body['prompt_id'] as string;
    await ws.waitFor(
      (f) => f.type === 'progress' && f.data['prompt_id'] === promptId && f.data['value'] === 2,
    );
    const q = (await getJson(`${sim.url}/queue`)) as { queue_running: unknown[][] };
    assert.equal(q.queue_running[0]![1], promptId);
    assert.deepEqual(await getJson(`${sim.url}/history/${promptId}`), {});
    await postJson(`${sim.url}/interrupt`, { prompt_id: promptId });
    await ws.done(promptId);
    assert.ok(ws.ofPrompt(promptId).some((f) => f.type === 'execution_interrupted'));
  });

  test('prompt_lost: a restart mid-generation wipes queue and history and drops sockets', async () => {
    await setFaults({ kind: 'prompt_lost', count: 1, atStep: 1 });
    const { ws, id } = await client();
    const { body } = await submit(sim.url, t2vGraph(), id);
    const promptId = body['prompt_id'] as string;
    const queued = await submit(sim.url, t2vGraph(), id);
    assert.equal(await ws.waitClosed(), 1006);
    assert.deepEqual(await getJson(`${sim.url}/history/${promptId}`), {});
    assert.deepEqual(await getJson(`${sim.url}/history`), {});
    const q = (await getJson(`${sim.url}/queue`)) as { queue_running: unknown[]; queue_pending: unknown[] };
    assert.deepEqual(q, { queue_running: [], queue_pending: [] });
    assert.deepEqual(await getJson(`${sim.url}/history/${queued.body['prompt_id']}`), {});
    assert.ok(sim.stats().lost >= 2);
  });
});

describe('server faults', () => {
  test('hang (http): requests are never answered; with a route and process:true the prompt is queued anyway', async () => {
    await setFaults({ kind: 'hang', count: 1 });
    await assert.rejects(fetch(`${sim.url}/system_stats`, { signal: AbortSignal.timeout(200) }), {
      name: 'TimeoutError',
    });
    assert.equal((await fetch(`${sim.url}/system_stats`)).status, 200);

    await setFaults({ kind: 'hang', route: '/prompt', process: true, count: 1 });
    const { ws, id } = await client();
    await assert.rejects(
      fetch(`${sim.url}/api/prompt`, {
        method: 'POST',
        body: JSON.stringify({ prompt: t2vGraph(), prompt_id: 'lost-response', client_id: id }),
        signal: AbortSignal.timeout(200),
      }),
      { name: 'TimeoutError' },
    );
    await ws.done('lost-response');
    const h = (await getJson(`${sim.url}/history/lost-response`)) as Record<string, unknown>;
    assert.ok(h['lost-response']);
  });

  test('slow: responses are delayed by ms', async () => {
    await setFaults({ kind: 'slow', ms: 1000, count: 1 });
    await assert.rejects(fetch(`${sim.url}/system_stats`, { signal: AbortSignal.timeout(150) }), {
      name: 'TimeoutError',
    });
    assert.equal((await fetch(`${sim.url}/system_stats`)).status, 200);
  });

  test('http_500: requests on the route get the plain-text aiohttp 500, others and later ones do not', async () => {
    await setFaults({ kind: 'http_500', route: '/queue', count: 2 });
    assert.equal((await fetch(`${sim.url}/system_stats`)).status, 200);
    for (const path of ['/queue', '/api/queue']) {
      const res = await fetch(`${sim.url}${path}`);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), '500 Internal Server Error\n\nServer got itself in trouble');
    }
    assert.equal((await fetch(`${sim.url}/queue`)).status, 200);
  });
});
