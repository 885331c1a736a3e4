import type { Workflow } from '@framesmith/core/api-schemas';
import {
  BINDING_NAMES,
  type BindingName,
  type WorkflowBindings,
  isLink,
} from '@framesmith/core/workflow-graph';
import { type FormEvent, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { useUpdateWorkflow } from '../api/update-workflow.ts';
import { BINDING_LABELS } from './binding-labels.ts';

type GraphNodes = Record<
  string,
  { class_type?: string; inputs?: Record<string, unknown>; _meta?: { title?: string } }
>;

const key = (b: { nodeId: string; input: string } | null | undefined) =>
  b ? `${b.nodeId}\u0000${b.input}` : '';

/** Every literal (unlinked) input of the graph: what a binding can point at. */
function bindableInputs(graph: GraphNodes): { nodeId: string; input: string; label: string }[] {
  const out: { nodeId: string; input: string; label: string }[] = [];
  for (const [nodeId, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs ?? {})) {
      if (isLink(value)) continue;
      const title = node._meta?.title ?? node.class_type ?? '';
      out.push({ nodeId, input, label: `#${nodeId} ${title} → ${input}` });
    }
  }
  return out;
}

/** Which node input receives each value; custom workflows only (built-ins are duplicated first). */
export function BindingsEditor({ workflow, onDone }: { workflow: Workflow; onDone: () => void }) {
  const graph = workflow.graph as GraphNodes;
  const options = bindableInputs(graph);
  const [values, setValues] = useState<Record<BindingName, string>>(
    () =>
      Object.fromEntries(BINDING_NAMES.map((n) => [n, key(workflow.bindings[n])])) as Record<
        BindingName,
        string
      >,
  );
  const update = useUpdateWorkflow();
  const fieldErrors = isApiError(update.error) ? update.error.fields : [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const bindings: WorkflowBindings = {};
    for (const name of BINDING_NAMES) {
      const v = values[name];
      if (!v) {
        bindings[name] = null;
        continue;
      }
      const [nodeId, input] = v.split('\u0000') as [string, string];
      bindings[name] = { nodeId, input };
    }
    update.mutate({ id: workflow.id, body: { bindings } }, { onSuccess: onDone });
  };

  return (
    <form className="bindings-editor" onSubmit={submit} aria-label="Edit bindings">
      {BINDING_NAMES.map((name) => (
        <Field
          key={name}
          label={BINDING_LABELS[name]}
          error={
            fieldErrors.find((f) => f.field === `bindings.${name}` || f.field.startsWith(`bindings.${name}.`))
              ?.message
          }
        >
          {(p) => (
            <select
              {...p}
              className="input"
              value={values[name]}
              onChange={(e) => setValues((old) => ({ ...old, [name]: e.target.value }))}
            >
              <option value="">Not bound (the graph's own value is used)</option>
              {options.map((o) => (
                <option key={key(o)} value={key(o)}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      ))}
      {update.error && fieldErrors.length === 0 ? (
        <p className="form-error" role="alert">
          {isApiError(update.error) ? update.error.message : 'Could not save the bindings.'}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save bindings'}
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
