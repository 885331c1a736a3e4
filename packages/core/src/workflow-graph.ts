import { z } from 'zod';

/**
 * ComfyUI API-format graphs ("Export (API)"): `{ [nodeId]: { class_type, inputs } }`, where an
 * input is either a literal or a link `[sourceNodeId, outputIndex]`. Pure functions only.
 */
export interface GraphNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
  [key: string]: unknown;
}
export type WorkflowGraph = Record<string, GraphNode>;

export const Binding = z.strictObject({
  nodeId: z.string().min(1).max(64),
  input: z.string().min(1).max(128),
});
export type Binding = z.infer<typeof Binding>;

export const BINDING_NAMES = [
  'prompt',
  'negativePrompt',
  'seed',
  'width',
  'height',
  'frames',
  'fps',
  'inputImage',
  'steps',
  'cfg',
] as const;
export type BindingName = (typeof BINDING_NAMES)[number];

export const WorkflowBindings = z.strictObject({
  prompt: Binding.nullable().optional(),
  negativePrompt: Binding.nullable().optional(),
  seed: Binding.nullable().optional(),
  width: Binding.nullable().optional(),
  height: Binding.nullable().optional(),
  frames: Binding.nullable().optional(),
  fps: Binding.nullable().optional(),
  inputImage: Binding.nullable().optional(),
  steps: Binding.nullable().optional(),
  cfg: Binding.nullable().optional(),
});
export type WorkflowBindings = z.infer<typeof WorkflowBindings>;

/** Node types that write results (ComfyUI marks them OUTPUT_NODE). Used when /object_info is not at hand. */
export const KNOWN_OUTPUT_NODES: ReadonlySet<string> = new Set([
  'SaveImage',
  'PreviewImage',
  'SaveVideo',
  'SaveWEBM',
  'SaveAnimatedWEBP',
  'SaveAnimatedPNG',
  'VHS_VideoCombine',
  'SaveAudio',
]);

export type GraphProblem =
  | { kind: 'not_an_object' }
  | { kind: 'ui_format' }
  | { kind: 'empty' }
  | { kind: 'not_a_node'; nodeId: string }
  | { kind: 'missing_class_type'; nodeId: string }
  | { kind: 'bad_inputs'; nodeId: string }
  | { kind: 'dangling_link'; nodeId: string; input: string; target: string }
  | { kind: 'no_output_node' }
  | { kind: 'cycle'; nodeId: string };

export function isLink(value: unknown): value is [string, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    typeof value[1] === 'number'
  );
}

/**
 * The node with this id, or undefined. Own keys only: a link or binding to "constructor" or
 * "toString" names no node, it must not reach Object.prototype.
 */
export function nodeOf(graph: WorkflowGraph, id: string): GraphNode | undefined {
  return Object.hasOwn(graph, id) ? graph[id] : undefined;
}

/** A UI-format save ("Save" rather than "Export (API)") has top-level `nodes` and `links` arrays. */
export function isUiFormat(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.nodes) && Array.isArray(v.links);
}

export function describeGraphProblem(problem: GraphProblem): string {
  switch (problem.kind) {
    case 'not_an_object':
      return 'the workflow must be a JSON object of nodes';
    case 'ui_format':
      return 'this is a ComfyUI UI-format save; in ComfyUI use "Export (API)" and import that file instead';
    case 'empty':
      return 'the workflow has no nodes';
    case 'not_a_node':
      return `node ${problem.nodeId} is not an object with class_type and inputs`;
    case 'missing_class_type':
      return `node ${problem.nodeId} has no class_type`;
    case 'bad_inputs':
      return `node ${problem.nodeId} has no inputs object`;
    case 'dangling_link':
      return `node ${problem.nodeId} input "${problem.input}" links to node ${problem.target}, which does not exist`;
    case 'no_output_node':
      return 'the workflow has no output node (such as Save Video)';
    case 'cycle':
      return `the workflow has a cycle through node ${problem.nodeId}`;
  }
}

/**
 * Finds the first reason a graph cannot be submitted, or null. `isOutputNode` defaults to the
 * known output node types; the client passes one backed by the backend's /object_info.
 */
export function findGraphProblem(
  value: unknown,
  isOutputNode: (classType: string) => boolean = (t) => KNOWN_OUTPUT_NODES.has(t),
): GraphProblem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'not_an_object' };
  if (isUiFormat(value)) return { kind: 'ui_format' };
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return { kind: 'empty' };
  for (const [nodeId, node] of entries) {
    if (typeof node !== 'object' || node === null || Array.isArray(node))
      return { kind: 'not_a_node', nodeId };
    const n = node as Record<string, unknown>;
    if (typeof n.class_type !== 'string' || n.class_type.length === 0)
      return { kind: 'missing_class_type', nodeId };
    if (typeof n.inputs !== 'object' || n.inputs === null || Array.isArray(n.inputs)) {
      return { kind: 'bad_inputs', nodeId };
    }
  }
  const graph = value as WorkflowGraph;
  for (const [nodeId, node] of entries as [string, GraphNode][]) {
    for (const [input, v] of Object.entries(node.inputs)) {
      if (isLink(v) && !nodeOf(graph, String(v[0]))) {
        return { kind: 'dangling_link', nodeId, input, target: String(v[0]) };
      }
    }
  }
  const cyclic = findCycle(graph);
  if (cyclic) return { kind: 'cycle', nodeId: cyclic };
  if (!Object.values(graph).some((n) => isOutputNode(n.class_type))) return { kind: 'no_output_node' };
  return null;
}

function findCycle(graph: WorkflowGraph): string | null {
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): string | null => {
    const s = state.get(id);
    if (s === 2) return null;
    if (s === 1) return id;
    state.set(id, 1);
    const node = nodeOf(graph, id);
    if (node) {
      for (const v of Object.values(node.inputs)) {
        if (isLink(v)) {
          const found = visit(String(v[0]));
          if (found) return found;
        }
      }
    }
    state.set(id, 2);
    return null;
  };
  for (const id of Object.keys(graph)) {
    const found = visit(id);
    if (found) return found;
  }
  return null;
}

const SAMPLER_SEED_INPUTS = ['seed', 'noise_seed'];
const LATENT_CLASS_HINT = /latent|imagetovideo|image_to_video/i;
const FPS_INPUTS: Record<string, string> = {
  CreateVideo: 'fps',
  VHS_VideoCombine: 'frame_rate',
  SaveAnimatedWEBP: 'fps',
  SaveAnimatedPNG: 'fps',
  SaveWEBM: 'fps',
};

/** Follows links back from a conditioning input to the text encoder that produced it. */
function traceTextEncoder(graph: WorkflowGraph, link: unknown, seen = new Set<string>()): string | null {
  if (!isLink(link)) return null;
  const id = String(link[0]);
  if (seen.has(id)) return null;
  seen.add(id);
  const node = nodeOf(graph, id);
  if (!node) return null;
  if (typeof node.inputs.text === 'string') return id;
  const preferred = ['positive', 'negative', 'conditioning', 'conditioning_1', 'conditioning_to'];
  const inputs = Object.entries(node.inputs);
  inputs.sort(([a], [b]) => rank(preferred, a) - rank(preferred, b));
  // A node like WanImageToVideo outputs (positive, negative): follow the input of the same slot.
  const slotName = link[1] === 1 ? 'negative' : 'positive';
  if (isLink(node.inputs[slotName])) return traceTextEncoder(graph, node.inputs[slotName], seen);
  for (const [, v] of inputs) {
    const found = traceTextEncoder(graph, v, seen);
    if (found) return found;
  }
  return null;
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i === -1 ? order.length : i;
}

/**
 * Infers bindings from the graph's shape (ARCHITECTURE §5). What cannot be inferred stays null,
 * and the graph's own value is used.
 */
export function inferBindings(graph: WorkflowGraph): WorkflowBindings {
  const out: WorkflowBindings = {};
  const nodes = Object.entries(graph);
  const sampler = nodes.find(
    ([, n]) => 'positive' in n.inputs && 'negative' in n.inputs && /sampler/i.test(n.class_type),
  );
  const guider = nodes.find(([, n]) => 'positive' in n.inputs && 'negative' in n.inputs);
  const cond = sampler ?? guider;
  if (cond) {
    const pos = traceTextEncoder(graph, cond[1].inputs.positive);
    const neg = traceTextEncoder(graph, cond[1].inputs.negative);
    if (pos) out.prompt = { nodeId: pos, input: 'text' };
    if (neg && neg !== pos) out.negativePrompt = { nodeId: neg, input: 'text' };
  }
  for (const [id, n] of nodes) {
    if (!out.seed) {
      const seedInput = SAMPLER_SEED_INPUTS.find((k) => typeof n.inputs[k] === 'number');
      if (seedInput) out.seed = { nodeId: id, input: seedInput };
    }
    if (!out.steps && /sampler/i.test(n.class_type) && typeof n.inputs.steps === 'number') {
      out.steps = { nodeId: id, input: 'steps' };
    }
    if (!out.cfg && /sampler/i.test(n.class_type) && typeof n.inputs.cfg === 'number') {
      out.cfg = { nodeId: id, input: 'cfg' };
    }
    if (
      typeof n.inputs.width === 'number' &&
      typeof n.inputs.height === 'number' &&
      LATENT_CLASS_HINT.test(n.class_type)
    ) {
      if (!out.width) out.width = { nodeId: id, input: 'width' };
      if (!out.height) out.height = { nodeId: id, input: 'height' };
      const frames = ['length', 'video_frames', 'frames', 'num_frames'].find(
        (k) => typeof n.inputs[k] === 'number',
      );
      if (frames && !out.frames) out.frames = { nodeId: id, input: frames };
    }
    const fpsInput = FPS_INPUTS[n.class_type];
    if (!out.fps && fpsInput && typeof n.inputs[fpsInput] === 'number')
      out.fps = { nodeId: id, input: fpsInput };
    if (!out.inputImage && n.class_type === 'LoadImage' && typeof n.inputs.image === 'string') {
      out.inputImage = { nodeId: id, input: 'image' };
    }
  }
  // A plain image latent (EmptyLatentImage) still carries the size.
  if (!out.width) {
    const latent = nodes.find(
      ([, n]) => typeof n.inputs.width === 'number' && typeof n.inputs.height === 'number',
    );
    if (latent) {
      out.width = { nodeId: latent[0], input: 'width' };
      out.height = { nodeId: latent[0], input: 'height' };
    }
  }
  return out;
}

/** Bindings given explicitly win; the rest are inferred. */
export function completeBindings(
  graph: WorkflowGraph,
  given: WorkflowBindings | undefined,
): WorkflowBindings {
  const inferred = inferBindings(graph);
  const merged: WorkflowBindings = { ...inferred };
  for (const name of BINDING_NAMES) {
    const g = given?.[name];
    if (g !== undefined) merged[name] = g;
  }
  return merged;
}

/** A binding that points at a node or input the graph does not have. */
export function findBindingProblem(graph: WorkflowGraph, bindings: WorkflowBindings): string | null {
  for (const name of BINDING_NAMES) {
    const b = bindings[name];
    if (!b) continue;
    const node = nodeOf(graph, b.nodeId);
    if (!node) return `bindings.${name}: node ${b.nodeId} is not in the workflow`;
    if (!Object.hasOwn(node.inputs, b.input))
      return `bindings.${name}: node ${b.nodeId} has no input "${b.input}"`;
  }
  return null;
}

export type BindingValues = Partial<Record<BindingName, string | number>>;

/** Applies values to a deep copy of the graph; the stored graph is never changed. */
export function applyBindings(
  graph: WorkflowGraph,
  bindings: WorkflowBindings,
  values: BindingValues,
): WorkflowGraph {
  const copy = structuredClone(graph);
  for (const name of BINDING_NAMES) {
    const b = bindings[name];
    const v = values[name];
    if (!b || v === undefined) continue;
    const node = nodeOf(copy, b.nodeId);
    if (node) node.inputs[b.input] = v;
  }
  return copy;
}
