import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';
import { buildCatalog, DEFAULT_MODELS, nodeInfo, toComfyJson } from '../../src/node-catalog.ts';
import { PyError } from '../../src/py.ts';
import { type ValidationEnv, validatePrompt } from '../../src/validate-prompt.ts';

const inputs = new Set(['example.png']);
const env: ValidationEnv = {
  catalog: buildCatalog({ models: DEFAULT_MODELS, inputFiles: [...inputs] }),
  customValidators: {
    LoadImage: ({ image }) => (inputs.has(String(image)) ? true : `Invalid image file: ${String(image)}`),
  },
};

type G = Record<string, { class_type?: string; inputs: Record<string, unknown>; _meta?: unknown }>;
const t2v = () => structuredClone(BUILTIN_WORKFLOWS[0]!.graph) as G;
const i2v = () => structuredClone(BUILTIN_WORKFLOWS[1]!.graph) as G;

function failed(graph: unknown) {
  const r = validatePrompt(env, graph);
  assert.equal(r.ok, false, 'expected validation to fail');
  if (r.ok) throw new Error('unreachable');
  return r;
}

describe('validatePrompt: accepted graphs', () => {
  test('both built-in workflows validate with no node errors', () => {
    for (const wf of BUILTIN_WORKFLOWS) {
      const r = validatePrompt(env, structuredClone(wf.graph));
      assert.equal(r.ok, true, wf.name);
      assert.deepEqual(r.nodeErrors, {});
    }
  });

  test('converts widget values the way ComfyUI does (INT "20" → 20, FLOAT 3.7 kept, __value__ unwrapped)', () => {
    const g = t2v();
    g['8']!.inputs['steps'] = '20';
    g['8']!.inputs['seed'] = 3.7;
    g['4']!.inputs['text'] = { __value__: 'wrapped' };
    const r = validatePrompt(env, g);
    assert.equal(r.ok, true);
    assert.equal(g['8']!.inputs['steps'], 20);
    assert.equal(g['8']!.inputs['seed'], 3);
    assert.equal(g['4']!.inputs['text'], 'wrapped');
  });

  test('a graph with one good and one bad output is accepted with node_errors (a 200 carrying errors)', () => {
    const g = t2v();
    g['12'] = { class_type: 'SaveImage', inputs: { images: ['9', 0] } };
    const r = validatePrompt(env, g);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.deepEqual(r.outputs, ['11']);
    assert.deepEqual(r.nodeErrors['12'], {
      errors: [
        {
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: 'filename_prefix',
          extra_info: { input_name: 'filename_prefix' },
        },
      ],
      dependent_outputs: ['12'],
      class_type: 'SaveImage',
    });
  });
});

describe('validatePrompt: top-level errors', () => {
  test('a node without class_type → invalid_prompt naming the node', () => {
    const g = t2v();
    delete g['3']!.class_type;
    assert.deepEqual(failed(g), {
      ok: false,
      error: {
        type: 'invalid_prompt',
        message: 'Cannot execute because a node is missing the class_type property.',
        details: "Node ID '#3'",
        extra_info: {},
      },
      nodeErrors: {},
    });
  });

  test('an unknown class → invalid_prompt "does not exist"', () => {
    const g = t2v();
    g['7']!.class_type = 'StepsAndCfg';
    assert.deepEqual(failed(g).error, {
      type: 'invalid_prompt',
      message: 'Cannot execute because node StepsAndCfg does not exist.',
      details: "Node ID '#7'",
      extra_info: {},
    });
  });

  test('no output node → prompt_no_outputs', () => {
    const g = t2v();
    delete g['11'];
    const r = failed(g);
    assert.deepEqual(r.error, {
      type: 'prompt_no_outputs',
      message: 'Prompt has no outputs',
      details: '',
      extra_info: {},
    });
    assert.deepEqual(r.nodeErrors, {});
  });

  test('partial_execution_targets selecting no output → prompt_no_outputs', () => {
    assert.equal(validatePrompt(env, t2v(), ['3']).ok, false);
    assert.equal(validatePrompt(env, t2v(), ['11']).ok, true);
  });

  test('shapes ComfyUI cannot handle raise (the HTTP layer answers its plain-text 500)', () => {
    assert.throws(() => validatePrompt(env, { last_node_id: 5, nodes: [] }), PyError);
    assert.throws(() => validatePrompt(env, null), PyError);
    assert.throws(() => validatePrompt(env, { '1': { class_type: ['KSampler'], inputs: {} } }), PyError);
  });
});

describe('validatePrompt: per-input errors (prompt_outputs_failed_validation)', () => {
  test('upstream failure: top-level details empty, the cause in node_errors with dependent_outputs', () => {
    const g = t2v();
    g['1']!.inputs['unet_name'] = 'wan2.1_t2v_missing.safetensors';
    const r = failed(g);
    assert.deepEqual(r.error, {
      type: 'prompt_outputs_failed_validation',
      message: 'Prompt outputs failed validation',
      details: '',
      extra_info: {},
    });
    assert.deepEqual(r.nodeErrors, {
      '1': {
        errors: [
          {
            type: 'value_not_in_list',
            message: 'Value not in list',
            details: `unet_name: 'wan2.1_t2v_missing.safetensors' not in ['hunyuan_video_t2v_720p_bf16.safetensors', 'wan2.1_i2v_480p_14B_fp8_scaled.safetensors', 'wan2.1_i2v_720p_14B_fp8_scaled.safetensors', 'wan2.1_t2v_1.3B_fp16.safetensors', 'wan2.1_t2v_14B_fp8_scaled.safetensors']`,
            extra_info: {
              input_name: 'unet_name',
              input_config: [DEFAULT_MODELS['diffusion_models'], {}],
              received_value: 'wan2.1_t2v_missing.safetensors',
            },
          },
        ],
        dependent_outputs: ['11'],
        class_type: 'UNETLoader',
      },
    });
  });

  test('more than 20 options → "(list of length N)" and input_config null', () => {
    const g = t2v();
    g['8']!.inputs['sampler_name'] = 'euler_fast';
    const err = failed(g).nodeErrors['8']!.errors[0]!;
    assert.deepEqual(err, {
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: "sampler_name: 'euler_fast' not in (list of length 42)",
      extra_info: { input_name: 'sampler_name', input_config: null, received_value: 'euler_fast' },
    });
  });

  test('value_bigger_than_max and value_smaller_than_min, with Python number formatting', () => {
    const g = t2v();
    g['8']!.inputs['steps'] = 10001;
    g['8']!.inputs['cfg'] = -1;
    const errors = failed(g).nodeErrors['8']!.errors;
    const byType = Object.fromEntries(errors.map((e) => [e.type, e]));
    assert.deepEqual(byType['value_bigger_than_max'], {
      type: 'value_bigger_than_max',
      message: 'Value 10001 bigger than max of 10000',
      details: 'steps',
      extra_info: {
        input_name: 'steps',
        input_config: env.catalog['KSampler']!.input.required['steps'],
        received_value: 10001,
      },
    });
    assert.equal(byType['value_smaller_than_min']!.message, 'Value -1.0 smaller than min of 0.0');
    assert.equal(byType['value_smaller_than_min']!.details, 'cfg');
  });

  test('invalid_input_type carries the Python exception text', () => {
    const g = t2v();
    g['6']!.inputs['width'] = 'wide';
    const err = failed(g).nodeErrors['6']!.errors[0]!;
    assert.deepEqual(err, {
      type: 'invalid_input_type',
      message: 'Failed to convert an input value to a INT value',
      details: "width, wide, invalid literal for int() with base 10: 'wide'",
      extra_info: {
        input_name: 'width',
        input_config: env.catalog['EmptyHunyuanLatentVideo']!.input.required['width'],
        received_value: 'wide',
        exception_message: "invalid literal for int() with base 10: 'wide'",
      },
    });
  });

  test('required_input_missing on a link', () => {
    const g = t2v();
    delete g['8']!.inputs['model'];
    const r = failed(g);
    assert.deepEqual(r.nodeErrors['8']!.errors, [
      {
        type: 'required_input_missing',
        message: 'Required input is missing',
        details: 'model',
        extra_info: { input_name: 'model' },
      },
    ]);
  });

  test('bad_linked_input for a link that is not [node, slot]', () => {
    const g = t2v();
    g['9']!.inputs['vae'] = ['3'];
    const err = failed(g).nodeErrors['9']!.errors[0]!;
    assert.equal(err.type, 'bad_linked_input');
    assert.equal(err.message, 'Bad linked input, must be a length-2 list of [node_id, slot_index]');
    assert.deepEqual(err.extra_info, {
      input_name: 'vae',
      input_config: env.catalog['VAEDecode']!.input.required['vae'],
      received_value: ['3'],
    });
  });

  test('return_type_mismatch names both types', () => {
    const g = t2v();
    g['8']!.inputs['positive'] = ['6', 0];
    const err = failed(g).nodeErrors['8']!.errors[0]!;
    assert.deepEqual(err, {
      type: 'return_type_mismatch',
      message: 'Return type mismatch between linked nodes',
      details: 'positive, received_type(LATENT) mismatch input_type(CONDITIONING)',
      extra_info: {
        input_name: 'positive',
        input_config: env.catalog['KSampler']!.input.required['positive'],
        received_type: 'LATENT',
        linked_node: ['6', 0],
      },
    });
  });

  test('a link from the output node to a missing node → exception_during_validation with the KeyError text', () => {
    const g = t2v();
    g['11']!.inputs['video'] = ['99', 0];
    const r = failed(g);
    const err = r.nodeErrors['11']!.errors[0]!;
    assert.equal(err.type, 'exception_during_validation');
    assert.equal(err.message, 'Exception when validating node');
    assert.equal(err.details, "'99'");
    assert.equal(err.extra_info['exception_type'], 'KeyError');
    assert.ok(Array.isArray(err.extra_info['traceback']));
    assert.equal(r.error.details, "Exception when validating node: '99'");
  });

  test('a broken link further up → exception_during_inner_validation on the upstream node', () => {
    const g = t2v();
    g['7']!.inputs['model'] = ['99', 0];
    const r = failed(g);
    const err = r.nodeErrors['7']!.errors[0]!;
    assert.equal(err.type, 'exception_during_inner_validation');
    assert.equal(err.details, "'99'");
    assert.equal(err.extra_info['input_name'], 'model');
    assert.equal(err.extra_info['exception_type'], 'KeyError');
    assert.deepEqual(err.extra_info['linked_node'], ['7', 0]);
  });

  test('an output slot that does not exist → IndexError', () => {
    const g = t2v();
    g['11']!.inputs['video'] = ['10', 3];
    const err = failed(g).nodeErrors['11']!.errors[0]!;
    assert.equal(err.type, 'exception_during_validation');
    assert.equal(err.details, 'tuple index out of range');
    assert.equal(err.extra_info['exception_type'], 'IndexError');
  });

  test('LoadImage with a missing file → custom_validation_failed "Invalid image file"', () => {
    const g = i2v();
    g['5']!.inputs['image'] = 'ComfyUI_temp_kqydq_00005_b.png';
    const r = failed(g);
    assert.deepEqual(r.nodeErrors['5']!.errors, [
      {
        type: 'custom_validation_failed',
        message: 'Custom validation failed for node',
        details: 'image - Invalid image file: ComfyUI_temp_kqydq_00005_b.png',
        extra_info: { input_name: 'image' },
      },
    ]);
    assert.deepEqual(r.nodeErrors['5']!.dependent_outputs, ['14']);
  });

  test('an error on the output node itself is spelled out in the top-level details', () => {
    const g = t2v();
    g['11']!.inputs['filename_prefix'] = ['4', 0];
    const r = failed(g);
    assert.equal(
      r.error.details,
      'Return type mismatch between linked nodes: filename_prefix, received_type(CONDITIONING) mismatch input_type(STRING)',
    );
  });
});

describe('object_info rendering', () => {
  test('V1 and V3 nodes carry ComfyUI node_info keys; the seed max is printed exactly', () => {
    const ks = nodeInfo(env.catalog['KSampler']!);
    assert.deepEqual(Object.keys(ks), [
      'input',
      'input_order',
      'output',
      'output_is_list',
      'output_name',
      'name',
      'display_name',
      'description',
      'python_module',
      'category',
      'output_node',
      'output_tooltips',
    ]);
    assert.match(toComfyJson(ks), /"max":18446744073709551615/);
    const sv = nodeInfo(env.catalog['SaveVideo']!);
    assert.equal(sv['output_node'], true);
    assert.equal(sv['deprecated'], false);
    assert.deepEqual((sv['input'] as { required: Record<string, unknown> }).required['format'], [
      'COMBO',
      { default: 'auto', tooltip: 'The format to save the video as.', options: ['auto', 'mp4'] },
    ]);
  });

  test('every class the issue names is installed, with the right output_node flags', () => {
    const outputs = ['SaveImage', 'SaveVideo', 'SaveAnimatedWEBP', 'VHS_VideoCombine'];
    for (const name of [
      'CheckpointLoaderSimple',
      'UNETLoader',
      'CLIPLoader',
      'DualCLIPLoader',
      'VAELoader',
      'CLIPVisionLoader',
      'CLIPVisionEncode',
      'CLIPTextEncode',
      'EmptyLatentImage',
      'EmptyHunyuanLatentVideo',
      'EmptyLTXVLatentVideo',
      'WanImageToVideo',
      'ModelSamplingSD3',
      'KSampler',
      'KSamplerAdvanced',
      'VAEDecode',
      'LoadImage',
      'CreateVideo',
      ...outputs,
    ]) {
      assert.ok(env.catalog[name], name);
      assert.equal(env.catalog[name]!.output_node, outputs.includes(name), name);
    }
  });
});
