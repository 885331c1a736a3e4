/**
 * Validation faults. Rather than inventing error bodies, each fault bends a copy of the submitted
 * graph (or of the node catalog) so that the real validator produces ComfyUI's genuine error for it:
 * an unknown class, a model file that is not installed, a value over the maximum, a broken link, …
 * Returns null when the fault cannot apply to this graph (it then stays armed for the next prompt).
 */
import { SAMPLER_CLASSES } from './graph-plan.ts';
import { isLink } from './links.ts';
import { MODEL_INPUTS, type NodeClass } from './node-catalog.ts';
import { typesCompatible } from './validate-prompt.ts';
import type { ActiveFault } from './types.ts';

type Graph = Record<
  string,
  { class_type?: unknown; inputs?: Record<string, unknown>; _meta?: { title?: string } }
>;

export type SubmitFaultEffect =
  | { kind: 'validate'; graph: Graph; catalog: Record<string, NodeClass>; inputFilesMissing: boolean }
  | { kind: 'respond'; status: number; body: unknown };

const MISSING_LINK_TARGET = '999999';

function isGraph(g: unknown): g is Graph {
  if (g === null || typeof g !== 'object' || Array.isArray(g)) return false;
  return Object.values(g).every((n) => n !== null && typeof n === 'object' && !Array.isArray(n));
}

function classOf(g: Graph, id: string): string {
  return typeof g[id]?.class_type === 'string' ? (g[id]!.class_type as string) : '';
}

/** The node the fault names, or the first node (graph order) matching `pick`. */
function targetNode(g: Graph, f: ActiveFault, pick: (id: string) => boolean): string | null {
  if (f.node !== undefined) return g[f.node] ? f.node : null;
  return Object.keys(g).find(pick) ?? null;
}

function isSampler(g: Graph, id: string): boolean {
  return SAMPLER_CLASSES.has(classOf(g, id));
}

/** Prefer the sampler, then any node satisfying `also`. */
function preferSampler(g: Graph, f: ActiveFault, also: (id: string) => boolean): string | null {
  return targetNode(g, f, (id) => isSampler(g, id) && also(id)) ?? targetNode(g, f, also);
}

function inputSpec(cat: Record<string, NodeClass>, cls: string, input: string) {
  const c = cat[cls];
  return c?.input.required[input] ?? c?.input.optional?.[input] ?? null;
}

function constantInputs(
  g: Graph,
  cat: Record<string, NodeClass>,
  id: string,
  ok: (spec: unknown[], name: string) => boolean,
) {
  const node = g[id]!;
  return Object.entries(node.inputs ?? {})
    .filter(([name, v]) => !isLink(v) && inputSpec(cat, classOf(g, id), name) !== null)
    .filter(([name]) => ok(inputSpec(cat, classOf(g, id), name)!, name))
    .map(([name]) => name);
}

function chooseInput(f: ActiveFault, candidates: string[]): string | null {
  if (f.input !== undefined) return candidates.includes(f.input) ? f.input : null;
  return candidates[0] ?? null;
}

export function applySubmitFault(
  f: ActiveFault,
  prompt: unknown,
  catalog: Record<string, NodeClass>,
): SubmitFaultEffect | null {
  if (f.kind === 'no_prompt') {
    const error = {
      type: 'no_prompt',
      message: 'No prompt provided',
      details: 'No prompt provided',
      extra_info: {},
    };
    return { kind: 'respond', status: 400, body: { error, node_errors: {} } };
  }
  if (!isGraph(prompt)) return null;
  const g = structuredClone(prompt);
  const cat = { ...catalog };
  const validate = (inputFilesMissing = false): SubmitFaultEffect => ({
    kind: 'validate',
    graph: g,
    catalog: cat,
    inputFilesMissing,
  });
  const hasLinks = (id: string) => Object.values(g[id]?.inputs ?? {}).some(isLink);
  const isOutput = (id: string) => catalog[classOf(g, id)]?.output_node === true;

  switch (f.kind) {
    case 'invalid_prompt': {
      const id = targetNode(g, f, () => true);
      if (!id) return null;
      delete g[id]!.class_type;
      return validate();
    }
    case 'missing_node': {
      const id = preferSampler(g, f, (x) => !isOutput(x));
      if (!id) return null;
      delete cat[classOf(g, id)];
      return validate();
    }
    case 'missing_node_type': {
      const id = preferSampler(g, f, (x) => !isOutput(x));
      if (!id) return null;
      const cls = classOf(g, id);
      const title = g[id]!._meta?.title ?? null;
      const error = {
        type: 'missing_node_type',
        message: `Node '${title ?? cls}' not found. The custom node may not be installed.`,
        details: `Node ID '#${id}'`,
        extra_info: { node_id: id, class_type: cls, node_title: title },
      };
      return { kind: 'respond', status: 400, body: { error, node_errors: {} } };
    }
    case 'prompt_no_outputs': {
      for (const [name, cls] of Object.entries(cat))
        if (cls.output_node) cat[name] = { ...cls, output_node: false };
      return validate();
    }
    case 'missing_model': {
      if (f.variant === 'runtime') return null;
      const id = targetNode(g, f, (x) => MODEL_INPUTS[classOf(g, x)] !== undefined);
      if (!id) return null;
      const cls = classOf(g, id);
      const modelInputs = Object.keys(MODEL_INPUTS[cls] ?? {});
      const input = chooseInput(
        f,
        modelInputs.filter((n) => !isLink(g[id]!.inputs?.[n])),
      );
      if (!input || !cat[cls]) return null;
      const value = g[id]!.inputs?.[input];
      const spec = inputSpec(cat, cls, input)!;
      const withoutFile = (spec[0] as string[]).filter((name) => name !== value);
      const node = structuredClone(cat[cls]);
      node.input.required[input] = spec.length > 1 ? [withoutFile, spec[1]!] : [withoutFile];
      cat[cls] = node;
      return validate();
    }
    case 'value_not_in_list': {
      const id = preferSampler(
        g,
        f,
        (x) =>
          constantInputs(g, cat, x, (s, n) => Array.isArray(s[0]) && !MODEL_INPUTS[classOf(g, x)]?.[n])
            .length > 0,
      );
      if (!id) return null;
      const candidates = constantInputs(
        g,
        cat,
        id,
        (s, n) => Array.isArray(s[0]) && !MODEL_INPUTS[classOf(g, id)]?.[n],
      );
      const input = chooseInput(f, candidates);
      if (!input) return null;
      g[id]!.inputs![input] = `${String(g[id]!.inputs![input])}_not_installed`;
      return validate();
    }
    case 'value_bigger_than_max':
    case 'value_smaller_than_min': {
      const bound = f.kind === 'value_bigger_than_max' ? 'max' : 'min';
      const numeric = (s: unknown[], name: string) =>
        (s[0] === 'INT' || s[0] === 'FLOAT') &&
        typeof (s[1] as Record<string, unknown> | undefined)?.[bound] === 'number' &&
        !name.includes('seed');
      const id = preferSampler(g, f, (x) => constantInputs(g, cat, x, numeric).length > 0);
      if (!id) return null;
      const input = chooseInput(f, constantInputs(g, cat, id, numeric));
      if (!input) return null;
      const spec = inputSpec(cat, classOf(g, id), input)!;
      const limit = (spec[1] as Record<string, number>)[bound]!;
      g[id]!.inputs![input] = bound === 'max' ? limit + 1 : limit - 1;
      return validate();
    }
    case 'invalid_input_type': {
      const numeric = (s: unknown[]) => s[0] === 'INT' || s[0] === 'FLOAT';
      const id = preferSampler(g, f, (x) => constantInputs(g, cat, x, numeric).length > 0);
      if (!id) return null;
      const input = chooseInput(f, constantInputs(g, cat, id, numeric));
      if (!input) return null;
      g[id]!.inputs![input] = 'not a number';
      return validate();
    }
    case 'required_input_missing': {
      const present = (x: string) =>
        Object.keys(cat[classOf(g, x)]?.input.required ?? {}).filter((n) => n in (g[x]!.inputs ?? {}));
      const id = preferSampler(g, f, (x) => present(x).length > 0);
      if (!id) return null;
      const input = chooseInput(f, present(id));
      if (!input) return null;
      delete g[id]!.inputs![input];
      return validate();
    }
    case 'bad_linked_input':
    case 'return_type_mismatch':
    case 'exception_during_inner_validation': {
      const id = preferSampler(g, f, (x) => hasLinks(x) && !isOutput(x));
      if (!id) return null;
      const links = Object.entries(g[id]!.inputs ?? {})
        .filter(([, v]) => isLink(v))
        .map(([n]) => n);
      const input = chooseInput(f, links);
      if (!input) return null;
      const original = g[id]!.inputs![input] as [string, number];
      if (f.kind === 'bad_linked_input') {
        g[id]!.inputs![input] = [original[0]];
        return validate();
      }
      if (f.kind === 'exception_during_inner_validation') {
        // The broken link sits upstream of an output: the exception surfaces on the inner node.
        const upstream = String(original[0]);
        const upstreamLinks = Object.entries(g[upstream]?.inputs ?? {}).filter(([, v]) => isLink(v));
        const firstUpstream = upstreamLinks[0];
        if (!firstUpstream) {
          g[id]!.inputs![input] = [MISSING_LINK_TARGET, 0];
        } else {
          g[upstream]!.inputs![firstUpstream[0]] = [MISSING_LINK_TARGET, 0];
        }
        return validate();
      }
      const wanted = inputSpec(cat, classOf(g, id), input)?.[0];
      for (const other of Object.keys(g)) {
        if (other === id) continue;
        const outs = cat[classOf(g, other)]?.output ?? [];
        const slot = outs.findIndex((t) => !typesCompatible(t, wanted));
        if (slot >= 0) {
          g[id]!.inputs![input] = [other, slot];
          return validate();
        }
      }
      return null;
    }
    case 'exception_during_validation': {
      const id = targetNode(g, f, (x) => isOutput(x) && hasLinks(x));
      if (!id) return null;
      const input = chooseInput(
        f,
        Object.entries(g[id]!.inputs ?? {})
          .filter(([, v]) => isLink(v))
          .map(([n]) => n),
      );
      if (!input) return null;
      g[id]!.inputs![input] = [MISSING_LINK_TARGET, 0];
      return validate();
    }
    case 'input_missing':
    case 'custom_validation_failed': {
      const id = targetNode(g, f, (x) => cat[classOf(g, x)]?.validateInputs !== undefined);
      if (!id) return null;
      return validate(true);
    }
    default:
      return null;
  }
}
