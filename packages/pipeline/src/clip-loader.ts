import { AppError, type ProjectSettings } from '@framesmith/core';
import { type Executor, defaultWorkflowId, findWorkflowRow, type SegmentRow } from '@framesmith/db';
import { type ClipSpec, resolveClipSpec, type WorkflowSource } from './clip-spec.ts';

/** Reads what a segment's clip depends on (its workflow) and resolves its ClipSpec. */

/**
 * Built-in workflows as read, per database handle. Nothing changes or deletes one (the API
 * refuses; the seed writes them before any worker starts), so a worker reads each once instead
 * of once per claim: most segments use the default, built-in ones.
 */
const builtinSources = new WeakMap<Executor, Map<string, WorkflowSource>>();

export async function loadWorkflowSource(db: Executor, segment: SegmentRow): Promise<WorkflowSource | null> {
  if (segment.inlineWorkflow) return null;
  const id = segment.workflowId ?? defaultWorkflowId(segment.params);
  const known = builtinSources.get(db)?.get(id);
  if (known) return known;
  const row = await findWorkflowRow(db, id);
  if (!row) {
    throw new AppError('COMFYUI_WORKFLOW_ERROR', {
      message: 'The workflow of this segment no longer exists.',
      detail: { reason: 'workflow not found', workflowId: id },
    });
  }
  const source: WorkflowSource = {
    id: row.id,
    graph: row.graph,
    bindings: row.bindings,
    generationTimeoutMs: row.generationTimeoutMs,
  };
  if (row.builtin) {
    const sources = builtinSources.get(db) ?? new Map<string, WorkflowSource>();
    builtinSources.set(db, sources.set(id, source));
  }
  return source;
}

/**
 * Whether two reads of a segment give the same clip spec inputs (its text, params and
 * workflow): a spec built from one holds for the other.
 */
export function sameClipInputs(a: SegmentRow, b: SegmentRow): boolean {
  return (
    a.id === b.id &&
    a.prompt === b.prompt &&
    a.negativePrompt === b.negativePrompt &&
    a.workflowId === b.workflowId &&
    // jsonb values of one table read back with the same key order.
    JSON.stringify([a.params, a.inlineWorkflow, a.inlineBindings]) ===
      JSON.stringify([b.params, b.inlineWorkflow, b.inlineBindings])
  );
}

export async function loadClipSpec(
  db: Executor,
  segment: SegmentRow,
  settings: ProjectSettings,
): Promise<ClipSpec> {
  const workflow = await loadWorkflowSource(db, segment);
  return resolveClipSpec(
    segment,
    settings,
    workflow ?? { id: '', graph: {}, bindings: {}, generationTimeoutMs: null },
  );
}

/** Specs of many segments, reading each workflow once; a segment whose spec cannot be built maps to null. */
export async function loadClipSpecs(
  db: Executor,
  segments: readonly SegmentRow[],
  settings: ProjectSettings,
): Promise<Map<string, ClipSpec | null>> {
  const workflows = new Map<string, Promise<WorkflowSource | null>>();
  const specs = new Map<string, ClipSpec | null>();
  for (const s of segments) {
    try {
      let source: WorkflowSource | null = null;
      if (!s.inlineWorkflow) {
        const id = s.workflowId ?? defaultWorkflowId(s.params);
        if (!workflows.has(id)) workflows.set(id, loadWorkflowSource(db, { ...s, workflowId: id }));
        source = await workflows.get(id)!;
      }
      specs.set(
        s.id,
        resolveClipSpec(
          s,
          settings,
          source ?? { id: '', graph: {}, bindings: {}, generationTimeoutMs: null },
        ),
      );
    } catch {
      specs.set(s.id, null);
    }
  }
  return specs;
}
