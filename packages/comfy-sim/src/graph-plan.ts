/**
 * What a validated prompt would do: the order ComfyUI runs its nodes in, and, by evaluating each
 * node symbolically (sizes, frame counts, prompt text flowing along the links), which media each
 * output node saves. Pure: no I/O.
 */
import { isLink } from './links.ts';

export type SymbolicValue =
  | { t: 'conditioning'; text: string }
  | { t: 'latent'; width: number; height: number; frames: number; text: string }
  | { t: 'images'; width: number; height: number; frames: number; text: string }
  | { t: 'video'; width: number; height: number; frames: number; fps: number; text: string }
  | { t: 'opaque'; type: string };

export interface GraphNodeLike {
  class_type: string;
  inputs: Record<string, unknown>;
}

export type MediaNodeKind = 'SaveVideo' | 'SaveAnimatedWEBP' | 'SaveImage' | 'VHS_VideoCombine';

export interface MediaPlan {
  nodeId: string;
  kind: MediaNodeKind;
  filenamePrefix: string;
  width: number;
  height: number;
  frames: number;
  fps: number;
  text: string;
  /** VHS format ('video/h264-mp4', 'image/gif', …) */
  vhsFormat?: string;
  /** VHS save_output: false saves to temp. */
  saveOutput?: boolean;
  lossless?: boolean;
}

export interface GraphPlan {
  /** Nodes in execution order (dependencies first). */
  order: string[];
  /** Media saved by each output node that saves media, by node id. */
  media: Map<string, MediaPlan>;
  /** The sampler nodes (where progress steps happen). */
  samplers: string[];
}

export const SAMPLER_CLASSES = new Set([
  'KSampler',
  'KSamplerAdvanced',
  'SamplerCustom',
  'SamplerCustomAdvanced',
]);

/** Depth-first, dependencies first, from each output node in turn: the order ComfyUI's ExecutionList yields for a chain. */
export function executionOrder(prompt: Record<string, GraphNodeLike>, outputs: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const node = prompt[id];
    if (!node) return;
    for (const v of Object.values(node.inputs ?? {})) {
      if (isLink(v)) visit(String(v[0]));
    }
    order.push(id);
  };
  for (const o of outputs) visit(o);
  return order;
}

const num = (v: unknown, fallback: number): number => {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : fallback;
};
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

function latentVideoFrames(length: number, temporal: number): number {
  return Math.floor((Math.max(1, length) - 1) / temporal) * temporal + 1;
}

function snap(n: number, to: number): number {
  return Math.max(to, Math.floor(n / to) * to);
}

/** Symbolic outputs of one node given its (already evaluated) inputs. */
function evaluateNode(
  classType: string,
  inputs: Record<string, unknown>,
  linked: Record<string, SymbolicValue>,
): SymbolicValue[] {
  const text = (v: SymbolicValue | undefined) => (v && 'text' in v ? v.text : '');
  switch (classType) {
    case 'CLIPTextEncode':
      return [{ t: 'conditioning', text: str(inputs['text'], '') }] as SymbolicValue[];
    case 'EmptyLatentImage':
      return [
        {
          t: 'latent',
          width: snap(num(inputs['width'], 512), 8),
          height: snap(num(inputs['height'], 512), 8),
          frames: Math.max(1, num(inputs['batch_size'], 1)),
          text: '',
        },
      ] as SymbolicValue[];
    case 'EmptyHunyuanLatentVideo':
      return [
        {
          t: 'latent',
          width: snap(num(inputs['width'], 848), 8),
          height: snap(num(inputs['height'], 480), 8),
          frames: latentVideoFrames(num(inputs['length'], 25), 4),
          text: '',
        },
      ] as SymbolicValue[];
    case 'EmptyLTXVLatentVideo':
      return [
        {
          t: 'latent',
          width: snap(num(inputs['width'], 768), 32),
          height: snap(num(inputs['height'], 512), 32),
          frames: latentVideoFrames(num(inputs['length'], 97), 8),
          text: '',
        },
      ] as SymbolicValue[];
    case 'WanImageToVideo':
      return [
        linked['positive'] ?? { t: 'conditioning', text: '' },
        linked['negative'] ?? { t: 'conditioning', text: '' },
        {
          t: 'latent',
          width: snap(num(inputs['width'], 832), 8),
          height: snap(num(inputs['height'], 480), 8),
          frames: latentVideoFrames(num(inputs['length'], 81), 4),
          text: text(linked['positive']),
        },
      ] as SymbolicValue[];
    case 'KSampler':
    case 'KSamplerAdvanced': {
      const latent = linked['latent_image'];
      const base = latent && latent.t === 'latent' ? latent : { width: 512, height: 512, frames: 1 };
      return [
        {
          t: 'latent',
          width: base.width,
          height: base.height,
          frames: base.frames,
          text: text(linked['positive']),
        },
      ] as SymbolicValue[];
    }
    case 'VAEDecode': {
      const s = linked['samples'];
      const base = s && s.t === 'latent' ? s : { width: 512, height: 512, frames: 1, text: '' };
      return [
        { t: 'images', width: base.width, height: base.height, frames: base.frames, text: base.text },
      ] as SymbolicValue[];
    }
    case 'LoadImage':
      return [
        { t: 'images', width: 512, height: 512, frames: 1, text: '' },
        { t: 'opaque', type: 'MASK' },
      ] as SymbolicValue[];
    case 'CreateVideo': {
      const im = linked['images'];
      const base = im && im.t === 'images' ? im : { width: 512, height: 512, frames: 1, text: '' };
      // `t` after the spread: the images value carries its own `t`.
      return [{ ...base, t: 'video', fps: num(inputs['fps'], 30) }] as SymbolicValue[];
    }
    default: {
      // Unknown or pass-through nodes: forward the first media-like input.
      const media = Object.values(linked).find((v) => v.t !== 'opaque' && v.t !== 'conditioning');
      return media ? [media] : [{ t: 'opaque' as const, type: classType }];
    }
  }
}

function mediaOf(
  nodeId: string,
  classType: string,
  inputs: Record<string, unknown>,
  linked: Record<string, SymbolicValue>,
): MediaPlan | null {
  const source = classType === 'SaveVideo' ? linked['video'] : linked['images'];
  if (!source || source.t === 'opaque' || source.t === 'conditioning') return null;
  const base = {
    nodeId,
    width: source.width,
    height: source.height,
    frames: source.frames,
    text: source.text,
    fps: source.t === 'video' ? source.fps : 16,
  };
  switch (classType) {
    case 'SaveVideo':
      return { ...base, kind: 'SaveVideo', filenamePrefix: str(inputs['filename_prefix'], 'video/ComfyUI') };
    case 'SaveAnimatedWEBP':
      return {
        ...base,
        kind: 'SaveAnimatedWEBP',
        filenamePrefix: str(inputs['filename_prefix'], 'ComfyUI'),
        fps: num(inputs['fps'], 6),
        lossless: inputs['lossless'] !== false,
      };
    case 'SaveImage':
      return { ...base, kind: 'SaveImage', filenamePrefix: str(inputs['filename_prefix'], 'ComfyUI') };
    case 'VHS_VideoCombine':
      return {
        ...base,
        kind: 'VHS_VideoCombine',
        filenamePrefix: str(inputs['filename_prefix'], 'AnimateDiff'),
        fps: num(inputs['frame_rate'], 8),
        vhsFormat: str(inputs['format'], 'image/gif'),
        saveOutput: inputs['save_output'] !== false,
      };
    default:
      return null;
  }
}

/** Plans a validated prompt for the given outputs. */
export function planGraph(prompt: Record<string, GraphNodeLike>, outputs: readonly string[]): GraphPlan {
  const order = executionOrder(prompt, outputs);
  const values = new Map<string, SymbolicValue[]>();
  const media = new Map<string, MediaPlan>();
  const samplers: string[] = [];
  for (const id of order) {
    const node = prompt[id]!;
    const linked: Record<string, SymbolicValue> = {};
    for (const [name, v] of Object.entries(node.inputs ?? {})) {
      if (!isLink(v)) continue;
      const out = values.get(String(v[0]))?.[v[1]];
      if (out) linked[name] = out;
    }
    values.set(id, evaluateNode(node.class_type, node.inputs ?? {}, linked));
    if (SAMPLER_CLASSES.has(node.class_type)) samplers.push(id);
    const m = mediaOf(id, node.class_type, node.inputs ?? {}, linked);
    if (m && outputs.includes(id)) media.set(id, m);
  }
  return { order, media, samplers };
}
