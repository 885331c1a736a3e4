import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_WORKFLOWS, type WorkflowGraph } from '@framesmith/core';
import type { ObjectInfo } from '../../src/comfy-types.ts';
import { comboOptions, preflight } from '../../src/preflight.ts';
import { buildPrompt, checkGraph } from '../../src/templating.ts';

const t2v = BUILTIN_WORKFLOWS[0]!;

/** A slice of /object_info in the shapes ComfyUI serves (V1 combos and a V3 COMBO). */
function objectInfo(models: { unet?: string[]; clip?: string[]; vae?: string[] } = {}): ObjectInfo {
  const node = (required: Record<string, unknown[]>, output_node = false) => ({
    input: { required: required as ObjectInfo[string]['input']['required'] },
    output: [],
    output_node,
  });
  return {
    UNETLoader: node({
      unet_name: [models.unet ?? ['wan2.1_t2v_1.3B_fp16.safetensors']],
      weight_dtype: [['default', 'fp8_e4m3fn']],
    }),
    CLIPLoader: node({
      clip_name: [models.clip ?? ['umt5_xxl_fp8_e4m3fn_scaled.safetensors']],
      type: [['wan', 'sd3']],
      device: [['default', 'cpu']],
    }),
    VAELoader: node({ vae_name: ['COMBO', { options: models.vae ?? ['wan_2.1_vae.safetensors'] }] }),
    CLIPTextEncode: node({ text: ['STRING', { multiline: true }], clip: ['CLIP'] }),
    EmptyHunyuanLatentVideo: node({ width: ['INT', { min: 16, max: 16384 }] }),
    ModelSamplingSD3: node({ shift: ['FLOAT', {}], model: ['MODEL'] }),
    KSampler: node({ seed: ['INT', {}], sampler_name: [['euler', 'uni_pc']], model: ['MODEL'] }),
    VAEDecode: node({ samples: ['LATENT'], vae: ['VAE'] }),
    CreateVideo: node({ fps: ['FLOAT', {}], images: ['IMAGE'] }),
    SaveVideo: node({ video: ['VIDEO'] }, true),
  };
}

describe('preflight', () => {
  test('a node type named like an Object property ("constructor") is missing, not installed', () => {
    // /object_info arrives through JSON.parse: a plain object that inherits "constructor".
    const info = JSON.parse(JSON.stringify(objectInfo())) as ObjectInfo;
    const graph: WorkflowGraph = { ...t2v.graph, '99': { class_type: 'constructor', inputs: {} } };
    const e = preflight(graph, info);
    assert.equal(e?.code, 'COMFYUI_MISSING_NODE');
    assert.deepEqual(e?.detail.missing, ['constructor']);
  });

  test('a graph the backend can run passes', () => {
    assert.equal(preflight(t2v.graph, objectInfo()), null);
  });

  test('unknown node types are named, each once', () => {
    const info = objectInfo();
    delete info.CreateVideo;
    delete info.ModelSamplingSD3;
    const e = preflight(t2v.graph, info)!;
    assert.equal(e.code, 'COMFYUI_MISSING_NODE');
    assert.deepEqual(e.detail.missing, ['CreateVideo', 'ModelSamplingSD3']);
    assert.match(e.userMessage, /"CreateVideo", "ModelSamplingSD3"/);
    assert.equal(e.retryable, false);
  });

  test('a missing model names the file and the closest installed names', () => {
    const e = preflight(
      t2v.graph,
      objectInfo({
        unet: [
          'wan2.1_t2v_14B_fp16.safetensors',
          'flux1-dev.safetensors',
          'wan2.1_i2v_480p_14B_fp8_scaled.safetensors',
        ],
      }),
    )!;
    assert.equal(e.code, 'COMFYUI_MISSING_MODEL');
    assert.equal(e.detail.nodeId, '1');
    assert.equal(e.detail.inputName, 'unet_name');
    assert.equal(e.detail.receivedValue, 'wan2.1_t2v_1.3B_fp16.safetensors');
    assert.equal((e.detail.suggestions as string[])[0], 'wan2.1_t2v_14B_fp16.safetensors');
    assert.ok(!(e.detail.suggestions as string[]).includes('flux1-dev.safetensors'));
    assert.match(e.userMessage, /wan2\.1_t2v_1\.3B_fp16\.safetensors/);
    assert.match(e.tips[0]!, /wan2\.1_t2v_14B_fp16\.safetensors/);
  });

  test('V3 COMBO options are read too, and several missing models are all listed', () => {
    const e = preflight(t2v.graph, objectInfo({ vae: [], clip: ['clip_l.safetensors'] }))!;
    assert.equal(e.code, 'COMFYUI_MISSING_MODEL');
    assert.deepEqual([...(e.detail.missing as string[])].sort(), [
      'umt5_xxl_fp8_e4m3fn_scaled.safetensors',
      'wan_2.1_vae.safetensors',
    ]);
  });

  test('non-model combos (sampler_name, type, device) are left to the server', () => {
    const g: WorkflowGraph = structuredClone(t2v.graph);
    g['8']!.inputs.sampler_name = 'not-a-sampler';
    g['2']!.inputs.device = 'tpu';
    assert.equal(preflight(g, objectInfo()), null);
  });

  test('comboOptions reads V1 and V3 shapes and ignores the rest', () => {
    assert.deepEqual(comboOptions([['a', 'b'], {}]), ['a', 'b']);
    assert.deepEqual(comboOptions(['COMBO', { options: ['x'] }]), ['x']);
    assert.equal(comboOptions(['INT', { min: 1 }]), null);
    assert.equal(comboOptions(undefined), null);
  });
});

describe('templating', () => {
  test('bindings are applied to a deep copy; the stored graph is unchanged', () => {
    const before = structuredClone(t2v.graph);
    const g = buildPrompt(t2v, {
      prompt: 'a red kite',
      seed: 7,
      width: 640,
      height: 360,
      frames: 17,
      fps: 12,
    });
    assert.equal(g['4']!.inputs.text, 'a red kite');
    assert.equal(g['8']!.inputs.seed, 7);
    assert.equal(g['6']!.inputs.width, 640);
    assert.equal(g['6']!.inputs.length, 17);
    assert.equal(g['10']!.inputs.fps, 12);
    assert.deepEqual(t2v.graph, before);
  });

  test('missing bindings are inferred from the graph', () => {
    const g = buildPrompt({ graph: t2v.graph, bindings: null }, { prompt: 'inferred', negativePrompt: 'no' });
    assert.equal(g['4']!.inputs.text, 'inferred');
    assert.equal(g['5']!.inputs.text, 'no');
  });

  const broken: [string, unknown, string][] = [
    ['UI format', { nodes: [], links: [], version: 0.4 }, 'ui_format'],
    ['no output node', { '1': { class_type: 'KSampler', inputs: {} } }, 'no_output_node'],
    [
      'missing class_type',
      { '1': { inputs: {} }, '2': { class_type: 'SaveVideo', inputs: {} } },
      'missing_class_type',
    ],
    [
      'link to a missing node',
      { '1': { class_type: 'SaveVideo', inputs: { video: ['99', 0] } } },
      'dangling_link',
    ],
    ['not an object', [1, 2], 'not_an_object'],
  ];
  for (const [name, graph, reason] of broken) {
    test(`an unusable graph is refused before sending: ${name}`, () => {
      const e = checkGraph(graph)!;
      assert.equal(e.code, 'COMFYUI_WORKFLOW_ERROR');
      assert.equal(e.detail.reason, reason);
      assert.throws(
        () => buildPrompt({ graph }, {}),
        (err: { code?: string }) => err.code === 'COMFYUI_WORKFLOW_ERROR',
      );
    });
  }

  test("the backend's own output_node flags count as outputs", () => {
    const graph = { '1': { class_type: 'MyCustomSaver', inputs: {} } };
    assert.equal(checkGraph(graph)?.detail.reason, 'no_output_node');
    const info: ObjectInfo = { MyCustomSaver: { input: {}, output_node: true } };
    assert.equal(checkGraph(graph, info), null);
  });

  test('a binding to a node the graph lacks is a workflow error', () => {
    assert.throws(
      () =>
        buildPrompt(
          { graph: t2v.graph, bindings: { prompt: { nodeId: '77', input: 'text' } } },
          { prompt: 'x' },
        ),
      (e: { code?: string; detail?: { reason?: string } }) =>
        e.code === 'COMFYUI_WORKFLOW_ERROR' && e.detail?.reason === 'bad_binding',
    );
  });
});
