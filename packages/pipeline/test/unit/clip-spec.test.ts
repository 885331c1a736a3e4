import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_TEXT_TO_VIDEO_ID, BUILTIN_WORKFLOWS, type WorkflowGraph } from '@framesmith/core';
import {
  canonicalJson,
  defaultSeed,
  effectiveParams,
  resolveClipSpec,
  type ClipSource,
} from '../../src/clip-spec.ts';

const builtin = BUILTIN_WORKFLOWS.find((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID)!;
const workflow = {
  id: builtin.id,
  graph: builtin.graph,
  bindings: builtin.bindings,
  generationTimeoutMs: null,
};
const segment: ClipSource = {
  id: '11111111-1111-4111-8111-111111111111',
  prompt: 'a red fox in snow',
  negativePrompt: 'blurry',
  params: { width: 256, height: 128, frames: 12, fps: 12, seed: 7 },
  inlineWorkflow: null,
  inlineBindings: null,
};

test('effective params: segment over project settings over defaults, seed from the id', () => {
  const p = effectiveParams('abc', { frames: 10 }, { width: 640, height: 360, fps: 30 });
  assert.deepEqual(p, { frames: 10, width: 640, height: 360, fps: 30, seed: defaultSeed('abc') });
  assert.equal(defaultSeed('abc'), defaultSeed('abc'));
  assert.notEqual(defaultSeed('abc'), defaultSeed('abd'));
  const q = effectiveParams('abc', { width: 128, fps: 8, seed: 3 }, { width: 640 });
  assert.deepEqual(q, { width: 128, fps: 8, seed: 3, height: 512, frames: 48 });
});

test('the submitted graph carries the prompt and params; the stored graph is untouched', () => {
  const before = JSON.stringify(builtin.graph);
  const spec = resolveClipSpec(segment, {}, workflow);
  assert.equal(JSON.stringify(builtin.graph), before);
  const b = spec.bindings;
  assert.equal(spec.prompt[b.prompt!.nodeId]!.inputs[b.prompt!.input], 'a red fox in snow');
  assert.equal(spec.prompt[b.negativePrompt!.nodeId]!.inputs[b.negativePrompt!.input], 'blurry');
  assert.equal(spec.prompt[b.width!.nodeId]!.inputs[b.width!.input], 256);
  assert.equal(spec.prompt[b.seed!.nodeId]!.inputs[b.seed!.input], 7);
  assert.equal(spec.workflowId, builtin.id);
  assert.match(spec.contentHash, /^[0-9a-f]{64}$/);
});

test('content hash: equal content gives equal hashes, any clip-affecting change another', () => {
  const base = resolveClipSpec(segment, {}, workflow).contentHash;
  assert.equal(
    resolveClipSpec({ ...segment, params: { ...segment.params } }, {}, workflow).contentHash,
    base,
  );
  // Key order does not matter.
  const reordered = { seed: 7, fps: 12, frames: 12, height: 128, width: 256 };
  assert.equal(resolveClipSpec({ ...segment, params: reordered }, {}, workflow).contentHash, base);
  const changed = [
    resolveClipSpec({ ...segment, prompt: 'a blue fox in snow' }, {}, workflow),
    resolveClipSpec({ ...segment, negativePrompt: '' }, {}, workflow),
    resolveClipSpec({ ...segment, params: { ...segment.params, seed: 8 } }, {}, workflow),
    resolveClipSpec({ ...segment, params: { ...segment.params, frames: 13 } }, {}, workflow),
    resolveClipSpec({ ...segment, params: { width: 256, height: 128, frames: 12, fps: 12 } }, {}, workflow),
    resolveClipSpec(segment, {}, { ...workflow, bindings: { ...workflow.bindings, seed: null } }),
  ];
  const graph = structuredClone(builtin.graph) as WorkflowGraph;
  graph['8']!.inputs.steps = 31;
  changed.push(resolveClipSpec(segment, {}, { ...workflow, graph }));
  for (const spec of changed) assert.notEqual(spec.contentHash, base);
  assert.equal(new Set(changed.map((s) => s.contentHash)).size, changed.length);
});

test('project settings only matter where the segment leaves a value unset', () => {
  const base = resolveClipSpec(segment, {}, workflow).contentHash;
  assert.equal(resolveClipSpec(segment, { width: 1024, height: 576, fps: 30 }, workflow).contentHash, base);
  const unset = { ...segment, params: { frames: 12, seed: 7 } };
  assert.notEqual(
    resolveClipSpec(unset, { width: 1024 }, workflow).contentHash,
    resolveClipSpec(unset, { width: 512 }, workflow).contentHash,
  );
});

test('an inline workflow wins over the library one and infers its bindings', () => {
  const spec = resolveClipSpec(
    { ...segment, inlineWorkflow: builtin.graph, inlineBindings: {} },
    {},
    workflow,
  );
  assert.equal(spec.workflowId, null);
  assert.equal(spec.bindings.prompt?.nodeId, builtin.bindings.prompt?.nodeId);
});

test('canonical JSON sorts keys and drops undefined members', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] }), '{"a":[1,{"c":"x"}],"b":1}');
});
