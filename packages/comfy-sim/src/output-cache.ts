/**
 * ComfyUI's default ("classic") output cache, reduced to what a client can observe: a node whose
 * class and inputs (recursively, through its links) match a node of the previous prompt is not run
 * again. It is listed in execution_cached, gets no `executing`, and an output node replays its UI
 * in `executed` and in history. Only the last prompt's nodes are kept.
 */
import type { GraphNodeLike } from './graph-plan.ts';
import { isLink } from './links.ts';

export class OutputCache {
  #entries = new Map<string, { ui: Record<string, unknown> | null }>();

  /** A signature per node: class_type and inputs, links replaced by the linked node's signature. */
  static signatures(prompt: Record<string, GraphNodeLike>): Map<string, string> {
    const sigs = new Map<string, string>();
    const visiting = new Set<string>();
    const sig = (id: string): string => {
      const known = sigs.get(id);
      if (known !== undefined) return known;
      const node = prompt[id];
      if (!node || visiting.has(id)) return `missing:${id}`;
      visiting.add(id);
      const inputs = Object.keys(node.inputs ?? {})
        .sort()
        .map((name) => {
          const v = node.inputs[name];
          return [name, isLink(v) ? { link: sig(String(v[0])), slot: v[1] } : v];
        });
      visiting.delete(id);
      const s = JSON.stringify([node.class_type, inputs]);
      sigs.set(id, s);
      return s;
    };
    for (const id of Object.keys(prompt)) sig(id);
    return sigs;
  }

  has(signature: string): boolean {
    return this.#entries.has(signature);
  }

  ui(signature: string): Record<string, unknown> | null {
    return this.#entries.get(signature)?.ui ?? null;
  }

  /** Keeps only entries for this prompt's nodes (clean_unused), then stores what it ran. */
  update(keep: Iterable<string>, ran: Map<string, Record<string, unknown> | null>): void {
    const wanted = new Set(keep);
    for (const key of [...this.#entries.keys()]) if (!wanted.has(key)) this.#entries.delete(key);
    for (const [signature, ui] of ran) this.#entries.set(signature, { ui });
  }

  clear(): void {
    this.#entries.clear();
  }
}
