import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';
import { buildCatalog, DEFAULT_MODELS } from '../../src/node-catalog.ts';
import { applySubmitFault } from '../../src/submit-faults.ts';
import type { ActiveFault, FaultSpec } from '../../src/types.ts';
import { validatePrompt } from '../../src/validate-prompt.ts';

const catalog = buildCatalog({ models: DEFAULT_MODELS, inputFiles: ['example.png'] });
const active = (spec: FaultSpec): ActiveFault => ({ ...spec, id: 1, fired: 0, remaining: null });

/** Applies the fault to a built-in graph and validates the result, as POST /prompt does. */
function outcome(spec: FaultSpec, workflow = 0) {
  const graph = structuredClone(BUILTIN_WORKFLOWS[workflow]!.graph);
  const effect = applySubmitFault(active(spec), graph, catalog);
  assert.ok(effect, `${spec.kind} should apply`);
  if (effect.kind === 'respond')
    return { status: effect.status, body: effect.body as Record<string, unknown> };
  const missing = effect.inputFilesMissing;
  const r = validatePrompt(
    {
      catalog: effect.catalog,
      customValidators: {
        LoadImage: ({ image }) => (missing ? `Invalid image file: ${String(image)}` : true),
      },
    },
    effect.graph,
  );
  assert.equal(r.ok, false, `${spec.kind} should fail validation`);
  if (r.ok) throw new Error('unreachable');
  return { status: 400, body: { error: r.error, node_errors: r.nodeErrors } as Record<string, unknown> };
}

function nodeErrorTypes(body: Record<string, unknown>): string[] {
  const ne = body['node_errors'] as Record<string, { errors: { type: string }[] }>;
  return Object.values(ne).flatMap((n) => n.errors.map((e) => e.type));
}

describe('validation faults produce ComfyUI’s genuine errors', () => {
  test('invalid_prompt: missing class_type on the first node', () => {
    const { body } = outcome({ kind: 'invalid_prompt' });
    assert.deepEqual(body['error'], {
      type: 'invalid_prompt',
      message: 'Cannot execute because a node is missing the class_type property.',
      details: "Node ID '#1'",
      extra_info: {},
    });
  });

  test('missing_node: the sampler class is not installed', () => {
    const { body } = outcome({ kind: 'missing_node' });
    assert.equal(
      (body['error'] as { message: string }).message,
      'Cannot execute because node KSampler does not exist.',
    );
    assert.equal((body['error'] as { details: string }).details, "Node ID '#8'");
  });

  test('missing_node_type: the newer server shape', () => {
    const { body } = outcome({ kind: 'missing_node_type' });
    assert.deepEqual(body, {
      error: {
        type: 'missing_node_type',
        message: "Node 'KSampler' not found. The custom node may not be installed.",
        details: "Node ID '#8'",
        extra_info: { node_id: '8', class_type: 'KSampler', node_title: 'KSampler' },
      },
      node_errors: {},
    });
  });

  test('missing_model: value_not_in_list on the first loader, list without the file', () => {
    const { body } = outcome({ kind: 'missing_model' });
    const ne = body['node_errors'] as Record<
      string,
      { errors: { type: string; details: string }[]; class_type: string }
    >;
    assert.equal(ne['1']!.class_type, 'UNETLoader');
    assert.equal(ne['1']!.errors[0]!.type, 'value_not_in_list');
    assert.match(ne['1']!.errors[0]!.details, /^unet_name: 'wan2\.1_t2v_1\.3B_fp16\.safetensors' not in \[/);
    assert.doesNotMatch(ne['1']!.errors[0]!.details, /not in \[.*wan2\.1_t2v_1\.3B_fp16/);
  });

  test('missing_model aimed at a node and input', () => {
    const { body } = outcome({ kind: 'missing_model', node: '3' });
    const ne = body['node_errors'] as Record<string, { errors: { details: string }[] }>;
    assert.equal(
      ne['3']!.errors[0]!.details,
      "vae_name: 'wan_2.1_vae.safetensors' not in ['hunyuan_video_vae_bf16.safetensors', 'wan2.2_vae.safetensors', 'pixel_space']",
    );
  });

  for (const [kind, expected] of [
    ['prompt_no_outputs', null],
    ['value_not_in_list', 'value_not_in_list'],
    ['value_bigger_than_max', 'value_bigger_than_max'],
    ['value_smaller_than_min', 'value_smaller_than_min'],
    ['invalid_input_type', 'invalid_input_type'],
    ['required_input_missing', 'required_input_missing'],
    ['bad_linked_input', 'bad_linked_input'],
    ['return_type_mismatch', 'return_type_mismatch'],
    ['exception_during_validation', 'exception_during_validation'],
    ['exception_during_inner_validation', 'exception_during_inner_validation'],
  ] as const) {
    test(`${kind}`, () => {
      const { status, body } = outcome({ kind });
      assert.equal(status, 400);
      if (expected === null) {
        assert.equal((body['error'] as { type: string }).type, kind);
      } else {
        assert.equal((body['error'] as { type: string }).type, 'prompt_outputs_failed_validation');
        assert.deepEqual(nodeErrorTypes(body), [expected]);
      }
    });
  }

  test('value_bigger_than_max on a chosen input', () => {
    const { body } = outcome({ kind: 'value_bigger_than_max', node: '6', input: 'length' });
    const ne = body['node_errors'] as Record<string, { errors: { message: string; details: string }[] }>;
    assert.equal(ne['6']!.errors[0]!.message, 'Value 16385 bigger than max of 16384');
    assert.equal(ne['6']!.errors[0]!.details, 'length');
  });

  test('input_missing: LoadImage says the image file is invalid', () => {
    const { body } = outcome({ kind: 'input_missing' }, 1);
    const ne = body['node_errors'] as Record<string, { errors: { type: string; details: string }[] }>;
    assert.deepEqual(ne['5']!.errors, [
      {
        type: 'custom_validation_failed',
        message: 'Custom validation failed for node',
        details: 'image - Invalid image file: example.png',
        extra_info: { input_name: 'image' },
      },
    ]);
  });

  test('faults that cannot apply to a graph return null (they stay armed)', () => {
    const t2v = structuredClone(BUILTIN_WORKFLOWS[0]!.graph);
    assert.equal(applySubmitFault(active({ kind: 'input_missing' }), t2v, catalog), null);
    assert.equal(applySubmitFault(active({ kind: 'missing_node', node: '99' }), t2v, catalog), null);
    assert.equal(applySubmitFault(active({ kind: 'missing_model', variant: 'runtime' }), t2v, catalog), null);
    assert.equal(applySubmitFault(active({ kind: 'value_not_in_list' }), 'not a graph', catalog), null);
  });

  test('the submitted graph itself is left untouched', () => {
    const graph = structuredClone(BUILTIN_WORKFLOWS[0]!.graph);
    const before = JSON.stringify(graph);
    applySubmitFault(active({ kind: 'return_type_mismatch' }), graph, catalog);
    applySubmitFault(active({ kind: 'invalid_prompt' }), graph, catalog);
    assert.equal(JSON.stringify(graph), before);
  });
});
