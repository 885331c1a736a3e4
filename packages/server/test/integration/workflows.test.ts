import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BUILTIN_IMAGE_TO_VIDEO_ID,
  BUILTIN_TEXT_TO_VIDEO_ID,
  BUILTIN_WORKFLOWS,
  Workflow,
} from '@framesmith/core';
import { testDbKind } from '@framesmith/db/testing';
import { assertApiError, startTestApp, type TestApp } from '../support/test-app.ts';

const t2v = BUILTIN_WORKFLOWS.find((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID)!;

/** A small API-format graph of real node types: checkpoint → encoders → sampler → decode → save. */
const imageGraph = {
  '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd15.safetensors' } },
  '2': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['1', 1] } },
  '3': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['1', 1] } },
  '4': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '5': {
    class_type: 'KSampler',
    inputs: {
      seed: 1,
      steps: 20,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['1', 0],
      positive: ['2', 0],
      negative: ['3', 0],
      latent_image: ['4', 0],
    },
  },
  '6': { class_type: 'VAEDecode', inputs: { samples: ['5', 0], vae: ['1', 2] } },
  '7': { class_type: 'SaveImage', inputs: { filename_prefix: 'x', images: ['6', 0] } },
};

describe(`workflows API (${testDbKind()})`, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const create = async (body: object) => {
    const res = await t.call('POST', '/api/workflows', body);
    assert.equal(res.statusCode, 201, res.body);
    return Workflow.parse(res.json());
  };

  test('the library lists the built-ins first, with graphs and bindings', async () => {
    const res = await t.call('GET', '/api/workflows');
    assert.equal(res.statusCode, 200);
    const list = (res.json() as unknown[]).map((w) => Workflow.parse(w));
    const builtins = list.filter((w) => w.builtin);
    assert.ok(builtins.some((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID && w.category === 'text-to-video'));
    assert.ok(builtins.some((w) => w.id === BUILTIN_IMAGE_TO_VIDEO_ID));
    assert.equal(list[0]!.builtin, true);
    const one = Workflow.parse((await t.call('GET', `/api/workflows/${BUILTIN_TEXT_TO_VIDEO_ID}`)).json());
    assert.deepEqual(one.graph, t2v.graph);
    assert.deepEqual(one.bindings.prompt, { nodeId: '4', input: 'text' });
  });

  test('importing a graph infers the bindings it can; explicit ones win', async () => {
    const w = await create({ name: 'SD 1.5 still', graph: imageGraph });
    assert.equal(w.builtin, false);
    assert.equal(w.category, 'custom');
    assert.deepEqual(w.bindings.prompt, { nodeId: '2', input: 'text' });
    assert.deepEqual(w.bindings.negativePrompt, { nodeId: '3', input: 'text' });
    assert.deepEqual(w.bindings.seed, { nodeId: '5', input: 'seed' });
    assert.deepEqual(w.bindings.width, { nodeId: '4', input: 'width' });
    assert.equal(w.bindings.frames, undefined, 'what cannot be inferred is left as the graph has it');

    const explicit = await create({
      name: 'explicit',
      graph: imageGraph,
      bindings: { prompt: { nodeId: '3', input: 'text' } },
      generationTimeoutMs: 60_000,
    });
    assert.deepEqual(explicit.bindings.prompt, { nodeId: '3', input: 'text' });
    assert.equal(explicit.generationTimeoutMs, 60_000);
  });

  test('bad graphs and bindings are 400s that say what is wrong', async () => {
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'ui', graph: { nodes: [], links: [], version: 0.4 } }),
      400,
      'VALIDATION_ERROR',
      /graph: .*Export \(API\)/,
    );
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'arr', graph: [] }),
      400,
      'VALIDATION_ERROR',
      'graph',
    );
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'str', graph: 'x' }),
      400,
      'VALIDATION_ERROR',
      'graph',
    );
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'no output', graph: { '1': imageGraph['4'] } }),
      400,
      'VALIDATION_ERROR',
      /graph: .*output node/,
    );
    assertApiError(
      await t.call('POST', '/api/workflows', {
        name: 'dangling',
        graph: {
          ...imageGraph,
          '6': { class_type: 'VAEDecode', inputs: { samples: ['42', 0], vae: ['1', 2] } },
        },
      }),
      400,
      'VALIDATION_ERROR',
      /graph: .*42/,
    );
    assertApiError(
      await t.call('POST', '/api/workflows', {
        name: 'bad binding',
        graph: imageGraph,
        bindings: { width: { nodeId: '4', input: 'size' } },
      }),
      400,
      'VALIDATION_ERROR',
      'bindings.width',
    );
    assertApiError(
      await t.call('POST', '/api/workflows', { graph: imageGraph }),
      400,
      'VALIDATION_ERROR',
      'name',
    );
  });

  test('PATCH edits a workflow; a new graph gets fresh bindings; new bindings alone are merged', async () => {
    const w = await create({ name: 'editable', graph: imageGraph });
    const renamed = await t.call('PATCH', `/api/workflows/${w.id}`, { name: 'renamed', category: 'image' });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal(renamed.json().name, 'renamed');
    assert.equal(renamed.json().category, 'image');

    const rebound = await t.call('PATCH', `/api/workflows/${w.id}`, { bindings: { seed: null } });
    assert.equal(rebound.json().bindings.seed, null);
    assert.deepEqual(rebound.json().bindings.prompt, { nodeId: '2', input: 'text' });

    const regraphed = await t.call('PATCH', `/api/workflows/${w.id}`, { graph: t2v.graph });
    assert.deepEqual(regraphed.json().bindings.frames, { nodeId: '6', input: 'length' });
    assertApiError(
      await t.call('PATCH', `/api/workflows/${w.id}`, {
        bindings: { seed: { nodeId: 'zz', input: 'seed' } },
      }),
      400,
      'VALIDATION_ERROR',
      'bindings.seed',
    );
  });

  test('concurrent binding edits of one workflow are merged one after the other, none lost', async () => {
    const w = await create({ name: 'raced', graph: imageGraph });
    const edits = ['seed', 'width', 'height', 'negativePrompt'].map((key) => ({ bindings: { [key]: null } }));
    const results = await Promise.all(edits.map((body) => t.call('PATCH', `/api/workflows/${w.id}`, body)));
    for (const r of results) assert.equal(r.statusCode, 200, r.body);
    const after = Workflow.parse((await t.call('GET', `/api/workflows/${w.id}`)).json());
    assert.deepEqual(
      [after.bindings.seed, after.bindings.width, after.bindings.height, after.bindings.negativePrompt],
      [null, null, null, null],
    );
    assert.deepEqual(after.bindings.prompt, { nodeId: '2', input: 'text' });
  });

  test('built-ins cannot be changed or deleted (409) but can be duplicated', async () => {
    assertApiError(
      await t.call('PATCH', `/api/workflows/${BUILTIN_TEXT_TO_VIDEO_ID}`, { name: 'mine now' }),
      409,
      'CONFLICT',
      'Built-in',
    );
    assertApiError(
      await t.call('DELETE', `/api/workflows/${BUILTIN_TEXT_TO_VIDEO_ID}`),
      409,
      'CONFLICT',
      'Built-in',
    );
    const copy = await t.call('POST', `/api/workflows/${BUILTIN_TEXT_TO_VIDEO_ID}/duplicate`);
    assert.equal(copy.statusCode, 201, copy.body);
    const c = Workflow.parse(copy.json());
    assert.equal(c.builtin, false);
    assert.notEqual(c.id, BUILTIN_TEXT_TO_VIDEO_ID);
    assert.match(c.name, /\(copy\)$/);
    assert.deepEqual(c.graph, t2v.graph);
    assert.deepEqual(c.bindings, t2v.bindings);
    const named = await t.call('POST', `/api/workflows/${BUILTIN_IMAGE_TO_VIDEO_ID}/duplicate`, {
      name: 'My i2v',
    });
    assert.equal(named.json().name, 'My i2v');
    const edited = await t.call('PATCH', `/api/workflows/${c.id}`, { name: 'tweaked' });
    assert.equal(edited.statusCode, 200);
    const unchanged = Workflow.parse(
      (await t.call('GET', `/api/workflows/${BUILTIN_TEXT_TO_VIDEO_ID}`)).json(),
    );
    assert.equal(unchanged.name, t2v.name);
  });

  test('DELETE removes an unused workflow; one that segments use is refused (409)', async () => {
    const w = await create({ name: 'used', graph: imageGraph });
    const pid = (await t.call('POST', '/api/projects', { name: 'p' })).json().id;
    const seg = (
      await t.call('POST', `/api/projects/${pid}/segments`, { prompt: 'x', workflowId: w.id })
    ).json();
    assertApiError(await t.call('DELETE', `/api/workflows/${w.id}`), 409, 'CONFLICT', '1 segment');
    await t.call('DELETE', `/api/segments/${seg.id}`);
    assert.equal((await t.call('DELETE', `/api/workflows/${w.id}`)).statusCode, 204);
    assertApiError(await t.call('GET', `/api/workflows/${w.id}`), 404, 'NOT_FOUND');
  });

  test('unknown and malformed workflow ids are 404', async () => {
    for (const id of ['00000000-0000-4000-8000-0000000000aa', 'builtin', '%20']) {
      assertApiError(await t.call('GET', `/api/workflows/${id}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('PATCH', `/api/workflows/${id}`, { name: 'x' }), 404, 'NOT_FOUND');
      assertApiError(await t.call('DELETE', `/api/workflows/${id}`), 404, 'NOT_FOUND');
      assertApiError(await t.call('POST', `/api/workflows/${id}/duplicate`), 404, 'NOT_FOUND');
    }
  });
});
