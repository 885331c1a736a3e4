import { createHash } from 'node:crypto';
import {
  applyBindings,
  completeBindings,
  DEFAULT_PARAMS,
  type EffectiveParams,
  type ProjectSettings,
  type SegmentParams,
  type WorkflowBindings,
  type WorkflowGraph,
} from '@framesmith/core';

/**
 * Everything that decides what a segment's clip looks like, resolved once: the effective
 * parameters, the workflow with its bindings, the graph ComfyUI receives, and the content hash
 * (an unchanged hash means the stored clip is still the right one). Pure.
 */
export interface ClipSource {
  id: string;
  prompt: string;
  negativePrompt: string;
  params: SegmentParams;
  inlineWorkflow: WorkflowGraph | null;
  inlineBindings: WorkflowBindings | null;
}

export interface WorkflowSource {
  id: string;
  graph: WorkflowGraph;
  bindings: WorkflowBindings;
  generationTimeoutMs: number | null;
}

export interface ClipSpec {
  params: EffectiveParams;
  workflowId: string | null;
  graph: WorkflowGraph;
  bindings: WorkflowBindings;
  /** The graph with prompt and parameters applied: what is submitted. */
  prompt: WorkflowGraph;
  contentHash: string;
  /** The workflow's own timeout, if it has one. */
  generationTimeoutMs: number | null;
}

/** A seed derived from the segment id, so a segment without one still renders the same clip each time. */
export function defaultSeed(segmentId: string): number {
  return createHash('sha256').update(segmentId).digest().readUInt32BE(0);
}

/** Segment params over project settings over the defaults. */
export function effectiveParams(
  segmentId: string,
  params: SegmentParams,
  settings: ProjectSettings,
): EffectiveParams {
  return {
    ...params,
    width: params.width ?? settings.width ?? DEFAULT_PARAMS.width,
    height: params.height ?? settings.height ?? DEFAULT_PARAMS.height,
    frames: params.frames ?? DEFAULT_PARAMS.frames,
    fps: params.fps ?? settings.fps ?? DEFAULT_PARAMS.fps,
    seed: params.seed ?? defaultSeed(segmentId),
  };
}

/**
 * `workflow` is the segment's library workflow (or the default one when it has none); an inline
 * graph on the segment wins over it.
 */
export function resolveClipSpec(
  segment: ClipSource,
  settings: ProjectSettings,
  workflow: WorkflowSource,
): ClipSpec {
  const params = effectiveParams(segment.id, segment.params, settings);
  const inline = segment.inlineWorkflow !== null;
  const graph = inline ? segment.inlineWorkflow! : workflow.graph;
  const bindings = completeBindings(graph, inline ? (segment.inlineBindings ?? {}) : workflow.bindings);
  const prompt = applyBindings(graph, bindings, {
    prompt: segment.prompt,
    negativePrompt: segment.negativePrompt || undefined,
    seed: params.seed,
    width: params.width,
    height: params.height,
    frames: params.frames,
    fps: params.fps,
    steps: params.steps,
    cfg: params.cfg,
    inputImage: params.inputImage,
  });
  const contentHash = hashContent({
    prompt: segment.prompt,
    negativePrompt: segment.negativePrompt,
    params,
    graph,
    bindings,
  });
  return {
    params,
    workflowId: inline ? null : workflow.id,
    graph,
    bindings,
    prompt,
    contentHash,
    generationTimeoutMs: inline ? null : workflow.generationTimeoutMs,
  };
}

/** Version of the hash recipe: bump it when what goes in changes, so old clips are not reused wrongly. */
const HASH_VERSION = 1;

export function hashContent(content: {
  prompt: string;
  negativePrompt: string;
  params: EffectiveParams;
  graph: WorkflowGraph;
  bindings: WorkflowBindings;
}): string {
  return createHash('sha256')
    .update(canonicalJson({ v: HASH_VERSION, ...content }))
    .digest('hex');
}

/** JSON with object keys sorted and undefined members dropped, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
