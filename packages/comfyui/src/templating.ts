import {
  AppError,
  applyBindings,
  type BindingValues,
  completeBindings,
  findBindingProblem,
  findGraphProblem,
  KNOWN_OUTPUT_NODES,
  type WorkflowBindings,
  type WorkflowGraph,
} from '@framesmith/core';
import { classifyAsError } from './classifier.ts';
import type { ObjectInfo } from './comfy-types.ts';
import { outputNodeTypes } from './preflight.ts';

/**
 * Turns a stored workflow and a segment's values into the graph to submit: bindings given or
 * inferred are applied to a deep copy, and an unusable graph (UI format, no output node, a node
 * without class_type, a link to a missing node, a cycle) is refused before it reaches a backend.
 */
export function buildPrompt(
  workflow: { graph: unknown; bindings?: WorkflowBindings | null },
  values: BindingValues,
): WorkflowGraph {
  const problem = checkGraph(workflow.graph);
  if (problem) throw problem;
  const graph = workflow.graph as WorkflowGraph;
  const bindings = completeBindings(graph, workflow.bindings ?? undefined);
  const bindingProblem = findBindingProblem(graph, bindings);
  if (bindingProblem) {
    throw new AppError('COMFYUI_WORKFLOW_ERROR', {
      message: 'The workflow settings point at a node or input the workflow does not have.',
      detail: { reason: 'bad_binding', exceptionMessage: bindingProblem },
    });
  }
  return applyBindings(graph, bindings, values);
}

/**
 * The first reason a graph cannot be submitted, as a COMFYUI_WORKFLOW_ERROR, or null. With a
 * backend's /object_info, its own output-node flags decide what counts as an output.
 */
export function checkGraph(graph: unknown, objectInfo?: ObjectInfo): AppError | null {
  const outputs = objectInfo ? outputNodeTypes(objectInfo) : null;
  const isOutput = (t: string) => KNOWN_OUTPUT_NODES.has(t) || (outputs?.has(t) ?? false);
  const problem = findGraphProblem(graph, isOutput);
  return problem ? classifyAsError({ kind: 'graph_problem', problem }) : null;
}
