import { asc, count, desc, eq, sql } from 'drizzle-orm';
import {
  type Workflow,
  type WorkflowBindings,
  type WorkflowGraph,
  completeBindings,
  conflict,
  findBindingProblem,
  notFound,
} from '@framesmith/core';
import { segments, workflows } from '../schema.ts';
import { type WorkflowRow, serializeWorkflow } from '../serialize.ts';
import { type Executor, fieldProblem, isUuid } from './common.ts';

export interface CreateWorkflowInput {
  name: string;
  description?: string;
  category?: string;
  graph: Record<string, unknown>;
  bindings?: WorkflowBindings;
  generationTimeoutMs?: number;
}

export interface UpdateWorkflowInput {
  name?: string;
  description?: string;
  category?: string;
  graph?: Record<string, unknown>;
  bindings?: WorkflowBindings;
  generationTimeoutMs?: number | null;
}

/** Bindings given explicitly win, the rest are inferred from the graph; one pointing nowhere is a 400. */
export function resolveBindings(graph: WorkflowGraph, given: WorkflowBindings | undefined): WorkflowBindings {
  const bindings = completeBindings(graph, given);
  const problem = findBindingProblem(graph, bindings);
  if (problem) throw fieldProblem(problem, 'bindings');
  return bindings;
}

export async function listWorkflows(db: Executor): Promise<Workflow[]> {
  const rows = await db
    .select()
    .from(workflows)
    .orderBy(desc(workflows.builtin), asc(workflows.name), asc(workflows.id));
  return rows.map(serializeWorkflow);
}

export async function findWorkflowRow(db: Executor, id: string): Promise<WorkflowRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(workflows).where(eq(workflows.id, id));
  return row ?? null;
}

async function getWorkflowRow(db: Executor, id: string): Promise<WorkflowRow> {
  const row = await findWorkflowRow(db, id);
  if (!row) throw notFound('Workflow', id);
  return row;
}

export async function getWorkflow(db: Executor, id: string): Promise<Workflow> {
  return serializeWorkflow(await getWorkflowRow(db, id));
}

export async function createWorkflow(db: Executor, input: CreateWorkflowInput): Promise<Workflow> {
  const graph = input.graph as WorkflowGraph;
  const [row] = await db
    .insert(workflows)
    .values({
      name: input.name,
      description: input.description ?? '',
      category: input.category ?? 'custom',
      graph,
      bindings: resolveBindings(graph, input.bindings),
      generationTimeoutMs: input.generationTimeoutMs ?? null,
      builtin: false,
    })
    .returning();
  return serializeWorkflow(row!);
}

const builtinConflict = (action: string) =>
  conflict(
    `Built-in workflows cannot be ${action}; duplicate it and ${action === 'deleted' ? 'remove' : 'edit'} the copy.`,
    {
      builtin: true,
    },
  );

/**
 * Edits a library workflow. A new graph gets its bindings inferred afresh (explicit ones in the
 * same request win); new bindings alone are merged into the current ones and checked. The row is
 * locked while merging, so concurrent edits apply one after the other and none is lost.
 */
export async function updateWorkflow(
  db: Executor,
  id: string,
  input: UpdateWorkflowInput,
): Promise<Workflow> {
  if (!isUuid(id)) throw notFound('Workflow', id);
  const row = await db.transaction(async (tx) => {
    const [current] = await tx.select().from(workflows).where(eq(workflows.id, id)).for('update');
    if (!current) throw notFound('Workflow', id);
    if (current.builtin) throw builtinConflict('changed');
    const set: Partial<typeof workflows.$inferInsert> = { updatedAt: sql`now()` as never };
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.category !== undefined) set.category = input.category;
    if (input.generationTimeoutMs !== undefined) set.generationTimeoutMs = input.generationTimeoutMs;
    if (input.graph !== undefined) {
      const graph = input.graph as WorkflowGraph;
      set.graph = graph;
      set.bindings = resolveBindings(graph, input.bindings);
    } else if (input.bindings !== undefined) {
      set.bindings = resolveBindings(current.graph, { ...current.bindings, ...input.bindings });
    }
    const [updated] = await tx.update(workflows).set(set).where(eq(workflows.id, id)).returning();
    return updated!;
  });
  return serializeWorkflow(row);
}

/** Deletes a library workflow; built-ins and workflows that segments still use are refused (409). */
export async function deleteWorkflow(db: Executor, id: string): Promise<void> {
  const current = await getWorkflowRow(db, id);
  if (current.builtin) throw builtinConflict('deleted');
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(segments)
    .where(eq(segments.workflowId, id));
  if (n > 0) {
    throw conflict(
      `This workflow is used by ${n} segment${n === 1 ? '' : 's'}; give them another workflow first.`,
      { segments: n },
    );
  }
  await db.delete(workflows).where(sql`${workflows.id} = ${id} AND NOT ${workflows.builtin}`);
}

/** Copies a workflow (built-ins included) into an editable one. */
export async function duplicateWorkflow(db: Executor, id: string, name?: string): Promise<Workflow> {
  const source = await getWorkflowRow(db, id);
  const [row] = await db
    .insert(workflows)
    .values({
      name: name ?? `${source.name} (copy)`.slice(0, 200),
      description: source.description,
      category: source.category,
      graph: source.graph,
      bindings: source.bindings,
      generationTimeoutMs: source.generationTimeoutMs,
      builtin: false,
    })
    .returning();
  return serializeWorkflow(row!);
}
