import { AppError, type WorkflowGraph } from '@framesmith/core';
import type { InputSpec, NodeInfo, ObjectInfo } from './comfy-types.ts';
import { closestNames, displayName, isModelInput } from './names.ts';

/**
 * Checks a graph against a backend's /object_info before anything is queued on the GPU
 * (ARCHITECTURE §8.2): unknown node types → COMFYUI_MISSING_NODE naming them; a model name
 * that is not in its loader's list → COMFYUI_MISSING_MODEL naming the file and the closest
 * installed names. Returns null when the backend can run the graph.
 */
export function preflight(graph: WorkflowGraph, objectInfo: ObjectInfo): AppError | null {
  const missingNodes = new Map<string, string>();
  for (const [nodeId, node] of Object.entries(graph)) {
    if (!Object.hasOwn(objectInfo, node.class_type) && !missingNodes.has(node.class_type)) {
      missingNodes.set(node.class_type, nodeId);
    }
  }
  if (missingNodes.size > 0) {
    const types = [...missingNodes.keys()].sort();
    const names = types.map((t) => `"${t}"`).join(', ');
    return new AppError('COMFYUI_MISSING_NODE', {
      message:
        types.length === 1
          ? `The node type ${names} is not installed on the GPU server.`
          : `The node types ${names} are not installed on the GPU server.`,
      detail: {
        nodeId: missingNodes.get(types[0]!),
        nodeType: types[0],
        missing: types,
        reason: 'preflight',
      },
    });
  }
  const missingModels = findMissingModels(graph, objectInfo);
  if (missingModels.length > 0) {
    const first = missingModels[0]!;
    const tips = first.suggestions.length
      ? [`Installed models with similar names: ${first.suggestions.map(displayName).join(', ')}.`]
      : first.available === 0
        ? ['The GPU server has no models of this kind installed at all.']
        : [];
    const message =
      missingModels.length === 1
        ? `The GPU server does not have the model "${displayName(first.value)}" needed by ${first.classType}.`
        : `The GPU server does not have the models ${missingModels
            .map((m) => `"${displayName(m.value)}"`)
            .join(', ')} that this workflow needs.`;
    return new AppError('COMFYUI_MISSING_MODEL', {
      message,
      tips: [
        ...tips,
        'Pick a model that is installed in the workflow settings.',
        'Or ask your operator to download the model to the ComfyUI models folder.',
      ],
      detail: {
        nodeId: first.nodeId,
        nodeType: first.classType,
        inputName: first.inputName,
        receivedValue: first.value,
        missing: missingModels.map((m) => m.value),
        suggestions: first.suggestions,
        reason: 'preflight',
      },
    });
  }
  return null;
}

export interface MissingModel {
  nodeId: string;
  classType: string;
  inputName: string;
  value: string;
  suggestions: string[];
  available: number;
}

export function findMissingModels(graph: WorkflowGraph, objectInfo: ObjectInfo): MissingModel[] {
  const out: MissingModel[] = [];
  for (const [nodeId, node] of Object.entries(graph)) {
    const info = Object.hasOwn(objectInfo, node.class_type) ? objectInfo[node.class_type] : undefined;
    if (!info) continue;
    for (const [inputName, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string' || !isModelInput(node.class_type, inputName)) continue;
      const options = comboOptions(inputSpec(info, inputName));
      if (!options || options.includes(value)) continue;
      out.push({
        nodeId,
        classType: node.class_type,
        inputName,
        value,
        suggestions: closestNames(value, options),
        available: options.length,
      });
    }
  }
  return out;
}

function inputSpec(info: NodeInfo, name: string): InputSpec | undefined {
  return info.input?.required?.[name] ?? info.input?.optional?.[name];
}

/** The option list of a combo input: V1 `[[...options], {...}]` or V3 `["COMBO", {options}]`. */
export function comboOptions(spec: InputSpec | undefined): string[] | null {
  if (!Array.isArray(spec)) return null;
  const [type, config] = spec as [unknown, Record<string, unknown> | undefined];
  if (Array.isArray(type)) return type.map(String);
  if (type === 'COMBO' && Array.isArray(config?.options)) return (config.options as unknown[]).map(String);
  return null;
}

/** Output node types according to the backend (falls back to core's known list when absent). */
export function outputNodeTypes(objectInfo: ObjectInfo): Set<string> {
  let types = outputTypesOf.get(objectInfo);
  if (!types) {
    types = new Set(
      Object.entries(objectInfo)
        .filter(([, i]) => i.output_node === true)
        .map(([name]) => name),
    );
    outputTypesOf.set(objectInfo, types);
  }
  return types;
}

/** A backend's /object_info is cached and shared: its output node types are worked out once. */
const outputTypesOf = new WeakMap<ObjectInfo, Set<string>>();

/** The ids of the graph's output nodes (what ComfyUI runs the prompt for), by the backend's /object_info. */
export function outputNodeIds(graph: WorkflowGraph, objectInfo: ObjectInfo): string[] {
  const types = outputNodeTypes(objectInfo);
  return Object.entries(graph)
    .filter(([, n]) => types.has(n.class_type))
    .map(([id]) => id);
}
