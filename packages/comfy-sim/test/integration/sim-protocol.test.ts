/** The simulator over real HTTP and WebSocket: a full generation, /history semantics, and the route table. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Simulator, startSimulator } from '../../src/index.ts';
import { getJson, i2vGraph, postJson, probe, submit, t2vGraph, WsClient } from '../helpers.ts';

let sim: Simulator;
const scratch = mkdtempSync(path.join(tmpdir(), 'comfy-sim-it-'));
const sockets: WsClient[] = [];
const open = async (clientId: string, p = '/ws') => {
  const c = await WsClient.open(sim.url, clientId, p);
  sockets.push(c);
  return c;
};

before(async () => {
  sim = await startSimulator({ generationMs: 150, steps: 3 });
});
after(async () => {
  for (const s of sockets) s.close();
  await sim.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a generation end to end', () => {
  test('submit → progress → executed → execution_success → history → /view gives a decodable mp4', async () => {
    const ws = await open('client-e2e');
    const promptId = randomUUID();
    const { status, body } = await submit(sim.url, t2vGraph(), 'client-e2e', promptId);
    assert.equal(status, 200);
    assert.deepEqual(body, { prompt_id: promptId, number: body['number'], node_errors: {} });
    assert.equal(typeof body['number'], 'number');

    await ws.done(promptId);
    const types = ws
      .ofPrompt(promptId)
      .filter((f) => f.type !== 'progress_state')
      .map((f) => (f.type === 'executing' ? `executing:${f.data['node']}` : f.type));
    assert.deepEqual(types.slice(0, 2), ['execution_start', 'execution_cached']);
    assert.deepEqual(types.slice(-2), ['execution_success', 'executing:null']);
    assert.deepEqual(
      types.filter((t) => t.startsWith('executing:') && t !== 'executing:null').sort(),
      ['1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9'].map((n) => `executing:${n}`),
    );
    const progress = ws.ofPrompt(promptId).filter((f) => f.type === 'progress');
    assert.deepEqual(
      progress.map((f) => f.data),
      [1, 2, 3].map((value) => ({ value, max: 3, prompt_id: promptId, node: '8' })),
    );
    const executed = ws.ofPrompt(promptId).find((f) => f.type === 'executed')!;
    assert.equal(executed.data['node'], '11');
    assert.equal(executed.data['display_node'], '11');

    // The queue's status frame comes between execution_success and the final executing.
    const all = ws.frames;
    const success = all.findIndex((f) => f.type === 'execution_success' && f.data['prompt_id'] === promptId);
    const last = all.findIndex(
      (f) => f.type === 'executing' && f.data['node'] === null && f.data['prompt_id'] === promptId,
    );
    assert.ok(all.slice(success, last).some((f) => f.type === 'status'));

    const history = (await getJson(`${sim.url}/history/${promptId}`)) as Record<
      string,
      Record<string, unknown>
    >;
    const entry = history[promptId]!;
    const item = entry['prompt'] as unknown[];
    assert.equal(item.length, 5);
    assert.equal(item[1], promptId);
    assert.deepEqual(item[3], { client_id: 'client-e2e' });
    assert.deepEqual(item[4], ['11']);
    const st = entry['status'] as {
      status_str: string;
      completed: boolean;
      messages: [string, { timestamp: number }][];
    };
    assert.equal(st.status_str, 'success');
    assert.equal(st.completed, true);
    assert.deepEqual(
      st.messages.map(([e]) => e),
      ['execution_start', 'execution_cached', 'execution_success'],
    );
    assert.ok(st.messages.every(([, d]) => typeof d.timestamp === 'number'));
    const out = (
      entry['outputs'] as Record<
        string,
        { images: { filename: string; subfolder: string; type: string }[]; animated: boolean[] }
      >
    )['11']!;
    assert.deepEqual(out.animated, [true]);
    assert.equal(out.images[0]!.subfolder, 'framesmith');
    assert.equal(out.images[0]!.type, 'output');
    assert.match(out.images[0]!.filename, /^clip_\d{5}_\.mp4$/);
    assert.deepEqual((entry['meta'] as Record<string, unknown>)['11'], {
      node_id: '11',
      display_node: '11',
      parent_node: null,
      real_node_id: '11',
    });

    const img = out.images[0]!;
    const res = await fetch(
      `${sim.url}/view?filename=${encodeURIComponent(img.filename)}&subfolder=${img.subfolder}&type=${img.type}`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.equal(res.headers.get('content-disposition'), `filename="${img.filename}"`);
    const file = path.join(scratch, 'clip.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const info = await probe(file);
    assert.equal(info.codec, 'h264');
    assert.equal(info.width, 160);
    assert.equal(info.height, 96);
    assert.equal(info.frames, 9);
    assert.ok(info.duration > 0);
  });

  test('/history/{id} is {} while queued and running, and only appears after execution_success', async () => {
    const slow = await startSimulator({ generationMs: 100, steps: 2, historyDelayMs: 1000 });
    try {
      const ws = await WsClient.open(slow.url, 'client-race');
      sockets.push(ws);
      const { body } = await submit(slow.url, t2vGraph(), 'client-race');
      const id = body['prompt_id'] as string;
      assert.deepEqual(await getJson(`${slow.url}/history/${id}`), {});
      await ws.waitFor((f) => f.type === 'execution_success' && f.data['prompt_id'] === id);
      assert.deepEqual(await getJson(`${slow.url}/history/${id}`), {});
      await ws.done(id);
      const h = (await getJson(`${slow.url}/api/history/${id}`)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(h), [id]);
    } finally {
      await slow.close();
    }
  });

  test('the image-to-video workflow runs against input/example.png', async () => {
    const ws = await open('client-i2v', '/api/ws');
    const { status, body } = await submit(sim.url, i2vGraph(), 'client-i2v');
    assert.equal(status, 200);
    await ws.done(body['prompt_id'] as string);
    const h = (await getJson(`${sim.url}/history/${body['prompt_id']}`)) as Record<
      string,
      { status: { status_str: string } }
    >;
    assert.equal(h[body['prompt_id'] as string]!.status.status_str, 'success');
  });
});

describe('queue, interrupt and routing of events', () => {
  test('one prompt runs at a time; /queue shows 5-element items; POST /queue deletes a pending one', async () => {
    const ws = await open('client-queue');
    const a = await submit(sim.url, t2vGraph(), 'client-queue');
    const b = await submit(sim.url, t2vGraph(), 'client-queue');
    const c = await submit(sim.url, t2vGraph(), 'client-queue');
    await ws.waitFor((f) => f.type === 'execution_start' && f.data['prompt_id'] === a.body['prompt_id']);
    const q = (await getJson(`${sim.url}/queue`)) as {
      queue_running: unknown[][];
      queue_pending: unknown[][];
    };
    assert.equal(q.queue_running.length, 1);
    assert.equal(q.queue_running[0]!.length, 5);
    assert.equal(q.queue_running[0]![1], a.body['prompt_id']);
    assert.deepEqual(
      q.queue_pending.map((i) => i[1]).sort(),
      [b.body['prompt_id'], c.body['prompt_id']].sort(),
    );
    const del = await fetch(`${sim.url}/queue`, {
      method: 'POST',
      body: JSON.stringify({ delete: [c.body['prompt_id']] }),
    });
    assert.equal(del.status, 200);
    assert.equal(await del.text(), '');
    await ws.done(b.body['prompt_id'] as string);
    assert.deepEqual(await getJson(`${sim.url}/history/${c.body['prompt_id']}`), {});
    const starts = ws.frames.filter((f) => f.type === 'execution_start').map((f) => f.data['prompt_id']);
    assert.ok(!starts.includes(c.body['prompt_id']));
  });

  test('POST /interrupt with another prompt_id does nothing; without one it interrupts what runs', async () => {
    const ws = await open('client-int');
    const { body } = await submit(sim.url, t2vGraph(), 'client-int');
    const id = body['prompt_id'] as string;
    await ws.waitFor((f) => f.type === 'progress' && f.data['prompt_id'] === id);
    const other = await postJson(`${sim.url}/interrupt`, { prompt_id: 'not-running' });
    assert.equal(other.status, 200);
    assert.equal(other.text, '');
    const global = await fetch(`${sim.url}/api/interrupt`, { method: 'POST' });
    assert.equal(global.status, 200);
    const interrupted = await ws.waitFor((f) => f.type === 'execution_interrupted');
    assert.deepEqual(Object.keys(interrupted.data).sort(), [
      'executed',
      'node_id',
      'node_type',
      'prompt_id',
      'timestamp',
    ]);
    assert.equal(interrupted.data['node_type'], 'KSampler');
    await ws.done(id);
    const h = (await getJson(`${sim.url}/history/${id}`)) as Record<
      string,
      { status: { status_str: string; completed: boolean; messages: [string][] } }
    >;
    const st = h[id]!.status;
    assert.equal(st.status_str, 'error');
    assert.equal(st.completed, false);
    assert.equal(st.messages.at(-1)![0], 'execution_interrupted');
  });

  test('events go to the submitting client only; without client_id only progress is broadcast', async () => {
    const mine = await open('client-mine');
    const other = await open('client-other');
    const { body } = await submit(sim.url, t2vGraph(), 'client-mine');
    await mine.done(body['prompt_id'] as string);
    assert.equal(other.ofPrompt(body['prompt_id'] as string).length, 0);

    const anon = await submit(sim.url, t2vGraph(), null);
    const anonId = anon.body['prompt_id'] as string;
    await other.waitFor(
      (f) => f.type === 'progress' && f.data['prompt_id'] === anonId && f.data['value'] === 3,
    );
    assert.ok(!other.ofPrompt(anonId).some((f) => f.type === 'executing' || f.type === 'execution_start'));
  });

  test('a socket without clientId gets a generated hex sid; the feature_flags handshake is answered', async () => {
    const c = new WsClient(`${sim.url.replace('http', 'ws')}/ws`);
    sockets.push(c);
    const status = await c.waitFor((f) => f.type === 'status');
    assert.match(String(status.data['sid']), /^[0-9a-f]{32}$/);
    const info = status.data['status'] as { exec_info: { queue_remaining: number } };
    assert.deepEqual(Object.keys(info.exec_info), ['queue_remaining']);
    assert.equal(typeof info.exec_info.queue_remaining, 'number');
    c.ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
    const ff = await c.waitFor((f) => f.type === 'feature_flags');
    assert.deepEqual(ff.data, { supports_preview_metadata: true, max_upload_size: 104857600 });
  });

  test('a duplicate prompt_id is accepted, as v0.3.64 does', async () => {
    const ws = await open('client-dup');
    const id = randomUUID();
    assert.equal((await submit(sim.url, t2vGraph(), 'client-dup', id)).status, 200);
    await ws.done(id);
    assert.equal((await submit(sim.url, t2vGraph(), 'client-dup', id)).status, 200);
  });
});

describe('routes', () => {
  test('POST /prompt errors: non-JSON → aiohttp 500 text; no prompt → 400 no_prompt; bad graph → 400', async () => {
    const crash = await fetch(`${sim.url}/prompt`, { method: 'POST', body: 'not json' });
    assert.equal(crash.status, 500);
    assert.equal(crash.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await crash.text(), '500 Internal Server Error\n\nServer got itself in trouble');
    const noPrompt = await postJson(`${sim.url}/prompt`, { client_id: 'x' });
    assert.equal(noPrompt.status, 400);
    assert.deepEqual(noPrompt.json, {
      error: {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      },
      node_errors: {},
    });
    const g = t2vGraph();
    g['8']!.inputs['steps'] = 0;
    const bad = await submit(sim.url, g, 'x');
    assert.equal(bad.status, 400);
    const ne = bad.body['node_errors'] as Record<string, { errors: { type: string }[] }>;
    assert.equal(ne['8']!.errors[0]!.type, 'value_smaller_than_min');
    const number = await postJson(`${sim.url}/prompt`, { prompt: t2vGraph(), number: 'abc' });
    assert.equal(number.status, 500);
  });

  test('every route also answers under /api; unknown paths 404 text, wrong methods 405', async () => {
    assert.deepEqual(
      await getJson(`${sim.url}/api/object_info/KSampler`),
      await getJson(`${sim.url}/object_info/KSampler`),
    );
    assert.deepEqual(await getJson(`${sim.url}/object_info/NotANode`), {});
    const all = (await getJson(`${sim.url}/object_info`)) as Record<string, { output_node: boolean }>;
    assert.equal(all['VHS_VideoCombine']!.output_node, true);
    const queueInfo = (await getJson(`${sim.url}/api/prompt`)) as { exec_info: { queue_remaining: number } };
    assert.equal(typeof queueInfo.exec_info.queue_remaining, 'number');
    const missing = await fetch(`${sim.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '404: Not Found');
    const wrong = await fetch(`${sim.url}/system_stats`, { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.equal(await wrong.text(), '405: Method Not Allowed');
  });

  test('/models, /system_stats and /features', async () => {
    const folders = (await getJson(`${sim.url}/models`)) as string[];
    assert.ok(folders.includes('diffusion_models') && folders.includes('text_encoders'));
    const unet = await fetch(`${sim.url}/models/unet`);
    assert.equal(unet.status, 404);
    assert.equal(await unet.text(), '');
    assert.ok(
      ((await getJson(`${sim.url}/api/models/diffusion_models`)) as string[]).includes(
        'wan2.1_t2v_1.3B_fp16.safetensors',
      ),
    );
    const stats = (await getJson(`${sim.url}/system_stats`)) as {
      system: Record<string, unknown>;
      devices: Record<string, unknown>[];
    };
    assert.equal(stats.system['comfyui_version'], '0.3.64');
    assert.equal(stats.system['os'], 'posix');
    assert.equal(stats.devices[0]!['type'], 'cuda');
    assert.equal(stats.devices[0]!['index'], 0);
    assert.ok((stats.devices[0]!['vram_total'] as number) > (stats.devices[0]!['vram_free'] as number));
    assert.deepEqual(await getJson(`${sim.url}/features`), {
      supports_preview_metadata: true,
      max_upload_size: 104857600,
    });
  });

  test('/view status codes', async () => {
    const status = async (q: string) => (await fetch(`${sim.url}/view${q}`)).status;
    assert.equal(await status(''), 404);
    assert.equal(await status('?filename=..%2Fx.mp4'), 400);
    assert.equal(await status('?filename=x.mp4&type=models'), 400);
    assert.equal(await status('?filename=x.mp4&subfolder=..%2F..'), 403);
    assert.equal(await status('?filename=nothing.mp4'), 404);
    assert.equal(await status('?filename=example.png&type=input'), 200);
  });

  test('POST /upload/image stores into input/, renames clashes, and LoadImage can use the returned name', async () => {
    const up = async (bytes: string) => {
      const form = new FormData();
      form.set('image', new Blob([bytes], { type: 'image/png' }), 'start.png');
      const res = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form });
      return {
        status: res.status,
        json: (await res.json()) as { name: string; subfolder: string; type: string },
      };
    };
    assert.deepEqual(await up('first'), {
      status: 200,
      json: { name: 'start.png', subfolder: '', type: 'input' },
    });
    assert.deepEqual((await up('first')).json.name, 'start.png');
    const second = await up('second');
    assert.equal(second.json.name, 'start (1).png');
    const g = i2vGraph();
    g['5']!.inputs['image'] = second.json.name;
    assert.equal((await submit(sim.url, g, null)).status, 200);
    const info = (await getJson(`${sim.url}/object_info/LoadImage`)) as {
      LoadImage: { input: { required: { image: [string[]] } } };
    };
    assert.ok(info.LoadImage.input.required.image[0].includes('start (1).png'));
    const noFile = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: new FormData() });
    assert.equal(noFile.status, 400);
  });

  test('POST /history clear and GET /history max_items', async () => {
    const before = Object.keys((await getJson(`${sim.url}/history`)) as object);
    assert.ok(before.length >= 2);
    assert.deepEqual(Object.keys((await getJson(`${sim.url}/history?max_items=1`)) as object), [
      before.at(-1),
    ]);
    const bad = await fetch(`${sim.url}/history?max_items=abc`);
    assert.equal(bad.status, 500);
  });
});
