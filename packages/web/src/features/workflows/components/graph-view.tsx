import type { Workflow } from '@framesmith/core/api-schemas';
import { BINDING_NAMES, isLink } from '@framesmith/core/workflow-graph';
import { type FormEvent, useState } from 'react';
import { isApiError } from '../../../lib/api-client.ts';
import { useUpdateWorkflow } from '../api/update-workflow.ts';
import { BINDING_LABELS } from './binding-labels.ts';

type GraphNode = { class_type?: string; inputs?: Record<string, unknown>; _meta?: { title?: string } };

/**
 * The graph as a list of nodes in id order, links shown as "from #4", bound inputs marked. In a
 * custom workflow the literal values (a model file name, a sampler) can be changed here.
 */
export function GraphView({
  workflow,
  highlightNodeId,
}: {
  workflow: Workflow;
  highlightNodeId: string | null;
}) {
  const graph = workflow.graph as Record<string, GraphNode>;
  const ids = Object.keys(graph).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const boundBy = new Map<string, string>();
  for (const name of BINDING_NAMES) {
    const b = workflow.bindings[name];
    if (b) boundBy.set(`${b.nodeId}.${b.input}`, BINDING_LABELS[name]);
  }
  return (
    <ol className="graph-view" aria-label="Nodes">
      {ids.map((id) => (
        <NodeItem
          key={id}
          id={id}
          node={graph[id]!}
          workflow={workflow}
          boundBy={boundBy}
          highlighted={highlightNodeId === id}
        />
      ))}
    </ol>
  );
}

function NodeItem({
  id,
  node,
  workflow,
  boundBy,
  highlighted,
}: {
  id: string;
  node: GraphNode;
  workflow: Workflow;
  boundBy: Map<string, string>;
  highlighted: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const inputs = Object.entries(node.inputs ?? {});
  const literal = inputs.filter(([, v]) => !isLink(v) && (typeof v === 'string' || typeof v === 'number'));
  const [draft, setDraft] = useState<Record<string, string>>({});
  const update = useUpdateWorkflow();

  const save = (e: FormEvent) => {
    e.preventDefault();
    const graph = structuredClone(workflow.graph) as Record<string, GraphNode>;
    const target = graph[id];
    if (!target?.inputs) return;
    for (const [name, text] of Object.entries(draft)) {
      const before = target.inputs[name];
      target.inputs[name] =
        typeof before === 'number' && text.trim() !== '' && Number.isFinite(Number(text))
          ? Number(text)
          : text;
    }
    update.mutate({ id: workflow.id, body: { graph } }, { onSuccess: () => setEditing(false) });
  };

  return (
    <li
      id={`node-${id}`}
      className={`graph-node ${highlighted ? 'is-highlighted' : ''}`}
      tabIndex={highlighted ? -1 : undefined}
    >
      <p className="graph-node__head">
        <span className="graph-node__id">#{id}</span> <code>{node.class_type}</code>
        {node._meta?.title && node._meta.title !== node.class_type ? (
          <span className="graph-node__title"> {node._meta.title}</span>
        ) : null}
        {!workflow.builtin && literal.length > 0 && !editing ? (
          <button
            type="button"
            className="button button--small graph-node__edit"
            onClick={() => {
              setDraft(Object.fromEntries(literal.map(([k, v]) => [k, String(v)])));
              setEditing(true);
            }}
            aria-label={`Edit values of node ${id}`}
          >
            Edit values
          </button>
        ) : null}
      </p>
      {editing ? (
        <form className="graph-node__form" onSubmit={save} aria-label={`Values of node ${id}`}>
          {literal.map(([name]) => (
            <label key={name} className="graph-node__field">
              <span>{name}</span>
              <input
                className="input"
                value={draft[name] ?? ''}
                onChange={(e) => setDraft((d) => ({ ...d, [name]: e.target.value }))}
              />
            </label>
          ))}
          {update.error ? (
            <p className="form-error" role="alert">
              {isApiError(update.error) ? update.error.message : 'Could not save.'}
            </p>
          ) : null}
          <div className="form-actions">
            <button
              type="submit"
              className="button button--primary button--small"
              disabled={update.isPending}
            >
              {update.isPending ? 'Saving…' : 'Save values'}
            </button>
            <button type="button" className="button button--small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <dl className="graph-node__inputs">
          {inputs.map(([name, value]) => {
            const bound = boundBy.get(`${id}.${name}`);
            return (
              <div key={name} className="graph-node__input">
                <dt>{name}</dt>
                <dd>
                  {isLink(value) ? (
                    <a href={`#node-${value[0]}`}>
                      from #{String(value[0])}
                      {value[1] ? ` (output ${value[1]})` : ''}
                    </a>
                  ) : (
                    <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
                  )}
                  {bound ? <span className="badge badge--bound">receives {bound}</span> : null}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </li>
  );
}
