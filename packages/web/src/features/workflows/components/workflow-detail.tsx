import type { Workflow } from '@framesmith/core/api-schemas';
import { BINDING_NAMES } from '@framesmith/core/workflow-graph';
import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../../../components/confirm-dialog.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { Link, navigate } from '../../../lib/router.tsx';
import { useDeleteWorkflow } from '../api/delete-workflow.ts';
import { useDuplicateWorkflow } from '../api/duplicate-workflow.ts';
import { BINDING_LABELS } from './binding-labels.ts';
import { BindingsEditor } from './bindings-editor.tsx';
import { GraphView } from './graph-view.tsx';

/** One workflow: its bindings (what a segment fills in) and its graph, with the actions it allows. */
export function WorkflowDetail({
  workflow,
  highlightNodeId,
}: {
  workflow: Workflow;
  highlightNodeId: string | null;
}) {
  const [editingBindings, setEditingBindings] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const duplicate = useDuplicateWorkflow();
  const remove = useDeleteWorkflow();
  const graph = workflow.graph as Record<string, { class_type?: string; _meta?: { title?: string } }>;

  useEffect(() => {
    if (!highlightNodeId) return;
    const el = document.getElementById(`node-${highlightNodeId}`);
    el?.scrollIntoView?.({ block: 'center' });
    el?.focus?.();
  }, [highlightNodeId]);

  return (
    <div className="workflow-detail">
      <p className="workflow-detail__meta">
        <span className="badge">{workflow.category}</span>
        {workflow.builtin ? (
          <span className="badge badge--builtin">Built-in</span>
        ) : (
          <span className="badge">Custom</span>
        )}
        <span>{Object.keys(workflow.graph).length} nodes</span>
      </p>
      {workflow.description ? <p>{workflow.description}</p> : null}
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={duplicate.isPending}
          onClick={() =>
            duplicate.mutate(
              { id: workflow.id, name: `${workflow.name} (copy)` },
              { onSuccess: (copy) => navigate(`/workflows/${copy.id}`) },
            )
          }
        >
          {duplicate.isPending ? 'Duplicating…' : 'Duplicate'}
        </button>
        {!workflow.builtin ? (
          <button
            type="button"
            className="button button--danger-outline"
            onClick={() => setConfirmDelete(true)}
          >
            Delete
          </button>
        ) : null}
      </div>
      {workflow.builtin ? (
        <p className="hint">
          Built-in workflows cannot be changed. Duplicate this one to change its bindings or values.
        </p>
      ) : null}
      {duplicate.error ? (
        <p className="form-error" role="alert">
          {isApiError(duplicate.error) ? duplicate.error.message : 'Could not duplicate.'}
        </p>
      ) : null}

      <section aria-labelledby="bindings-title" className="workflow-section">
        <div className="section-head">
          <h2 id="bindings-title">Bindings</h2>
          {!workflow.builtin && !editingBindings ? (
            <button type="button" className="button button--small" onClick={() => setEditingBindings(true)}>
              Edit bindings
            </button>
          ) : null}
        </div>
        <p className="hint">Which node input receives each setting of a segment.</p>
        {editingBindings ? (
          <BindingsEditor workflow={workflow} onDone={() => setEditingBindings(false)} />
        ) : (
          <table className="bindings-table">
            <thead>
              <tr>
                <th scope="col">Setting</th>
                <th scope="col">Node input</th>
              </tr>
            </thead>
            <tbody>
              {BINDING_NAMES.map((name) => {
                const b = workflow.bindings[name];
                const node = b ? graph[b.nodeId] : undefined;
                return (
                  <tr key={name}>
                    <th scope="row">{BINDING_LABELS[name]}</th>
                    <td>
                      {b ? (
                        <a href={`#node-${b.nodeId}`}>
                          #{b.nodeId} {node?._meta?.title ?? node?.class_type ?? ''} → <code>{b.input}</code>
                        </a>
                      ) : (
                        <span className="muted">not bound (the graph's value is used)</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="graph-title" className="workflow-section">
        <h2 id="graph-title">Graph</h2>
        <GraphView workflow={workflow} highlightNodeId={highlightNodeId} />
      </section>

      {confirmDelete ? (
        <ConfirmDialog
          title={`Delete “${workflow.name}”?`}
          confirmLabel="Delete workflow"
          busy={remove.isPending}
          error={
            remove.error ? (isApiError(remove.error) ? remove.error.message : 'Could not delete.') : null
          }
          onCancel={() => setConfirmDelete(false)}
          onConfirm={() => remove.mutate(workflow.id, { onSuccess: () => navigate('/workflows') })}
        >
          <p>Segments that use it must be switched to another workflow before they can be generated again.</p>
        </ConfirmDialog>
      ) : null}
      <p>
        <Link to="/workflows">← All workflows</Link>
      </p>
    </div>
  );
}
