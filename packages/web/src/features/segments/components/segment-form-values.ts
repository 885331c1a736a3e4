import { DEFAULT_PARAMS, type Segment, type SegmentParams } from '@framesmith/core/api-schemas';
import type { CreateSegmentInput } from '../api/create-segment.ts';
import type { UpdateSegmentInput } from '../api/update-segment.ts';

/** What the form edits: strings, as inputs hold them; turned into a request body on submit. */
export interface SegmentFormValues {
  prompt: string;
  negativePrompt: string;
  /** A library workflow id, or INLINE_WORKFLOW for a graph sent with the segment. */
  workflowId: string;
  width: string;
  height: string;
  frames: string;
  fps: string;
  seedMode: 'random' | 'fixed';
  seed: string;
}

export const INLINE_WORKFLOW = '__inline__';

/** The fields a form shows, keyed as the API names them in validation details. */
export const SEGMENT_FIELDS = [
  'prompt',
  'negativePrompt',
  'workflowId',
  'workflow',
  'params.width',
  'params.height',
  'params.frames',
  'params.fps',
  'params.seed',
] as const;

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** Values for a new segment: the previous segment's settings (a timeline usually keeps them), else defaults. */
export function newSegmentValues(
  previous: Segment | undefined,
  defaultWorkflowId: string,
): SegmentFormValues {
  const p = previous?.params ?? {};
  return {
    prompt: '',
    negativePrompt: previous?.negativePrompt ?? '',
    workflowId: previous?.workflowId ?? defaultWorkflowId,
    width: String(p.width ?? DEFAULT_PARAMS.width),
    height: String(p.height ?? DEFAULT_PARAMS.height),
    frames: String(p.frames ?? DEFAULT_PARAMS.frames),
    fps: String(p.fps ?? DEFAULT_PARAMS.fps),
    seedMode: 'random',
    seed: '',
  };
}

export function valuesOf(segment: Segment): SegmentFormValues {
  const p = segment.params;
  return {
    prompt: segment.prompt,
    negativePrompt: segment.negativePrompt,
    workflowId: segment.inlineWorkflow ? INLINE_WORKFLOW : (segment.workflowId ?? ''),
    width: String(p.width ?? DEFAULT_PARAMS.width),
    height: String(p.height ?? DEFAULT_PARAMS.height),
    frames: String(p.frames ?? DEFAULT_PARAMS.frames),
    fps: String(p.fps ?? DEFAULT_PARAMS.fps),
    seedMode: p.seed === undefined ? 'random' : 'fixed',
    seed: p.seed === undefined ? '' : String(p.seed),
  };
}

/** An empty box is "not given"; anything else goes to the schema as a number (NaN is refused there). */
function num(v: string): number | undefined {
  const t = v.trim();
  return t === '' ? undefined : Number(t);
}

function paramsOf(v: SegmentFormValues, base: SegmentParams = {}): SegmentParams {
  const params: SegmentParams = { ...base };
  const set = (key: 'width' | 'height' | 'frames' | 'fps' | 'seed', value: number | undefined) => {
    if (value === undefined) delete params[key];
    else params[key] = value;
  };
  set('width', num(v.width));
  set('height', num(v.height));
  set('frames', num(v.frames));
  set('fps', num(v.fps));
  set('seed', v.seedMode === 'fixed' ? num(v.seed) : undefined);
  return params;
}

export function toCreateBody(v: SegmentFormValues, position?: number): CreateSegmentInput {
  const body: CreateSegmentInput = { prompt: v.prompt, params: paramsOf(v) };
  if (v.negativePrompt.trim() !== '') body.negativePrompt = v.negativePrompt;
  if (v.workflowId && v.workflowId !== INLINE_WORKFLOW) body.workflowId = v.workflowId;
  if (position !== undefined) body.position = position;
  return body;
}

/** Only what changed, so an untouched segment keeps its clip (any change to it regenerates it). */
export function toUpdateBody(v: SegmentFormValues, segment: Segment): UpdateSegmentInput {
  const before = valuesOf(segment);
  const body: UpdateSegmentInput = {};
  if (v.prompt !== before.prompt) body.prompt = v.prompt;
  if (v.negativePrompt !== before.negativePrompt) body.negativePrompt = v.negativePrompt;
  if (v.workflowId !== before.workflowId && v.workflowId !== INLINE_WORKFLOW) {
    body.workflowId = v.workflowId || null;
    if (segment.inlineWorkflow) body.workflow = null;
  }
  const paramKeys = ['width', 'height', 'frames', 'fps', 'seedMode', 'seed'] as const;
  if (paramKeys.some((k) => v[k] !== before[k])) {
    // The API merges params, so "random" has to name the new seed (a create may leave it to the server).
    body.params = paramsOf(
      v.seedMode === 'random' ? { ...v, seedMode: 'fixed', seed: String(randomSeed()) } : v,
      segment.params,
    );
  }
  return body;
}

/** Duplicating copies everything that shapes the clip, and places the copy right after. */
export function duplicateBody(segment: Segment): CreateSegmentInput {
  const body: CreateSegmentInput = {
    prompt: segment.prompt,
    params: { ...segment.params },
    position: segment.position + 1,
  };
  if (segment.negativePrompt) body.negativePrompt = segment.negativePrompt;
  if (segment.workflowId) body.workflowId = segment.workflowId;
  return body;
}
