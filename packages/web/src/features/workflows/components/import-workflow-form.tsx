import { isUiFormat } from '@framesmith/core/workflow-graph';
import { type ChangeEvent, type FormEvent, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import { apiFieldErrors, type FieldErrors, validate } from '../../../lib/validation.ts';
import { createWorkflowInput, useCreateWorkflow } from '../api/create-workflow.ts';

export const UI_FORMAT_REFUSAL =
  'This is a ComfyUI UI-format save (it has "nodes" and "links"), which cannot be run through the API. In ComfyUI, open the workflow and choose Workflow → Export (API), then import that file here.';

/** Reads the JSON box: a parse problem or a UI-format save is said at once, beside the box. */
export function checkGraphText(text: string): { graph?: unknown; error?: string } {
  if (text.trim() === '') return { error: 'Paste the workflow JSON, or upload the file.' };
  let graph: unknown;
  try {
    graph = JSON.parse(text);
  } catch (err) {
    return { error: `This is not valid JSON (${err instanceof Error ? err.message : 'parse error'}).` };
  }
  if (isUiFormat(graph)) return { error: UI_FORMAT_REFUSAL };
  return { graph };
}

/** Import an API-format workflow, pasted or uploaded. */
export function ImportWorkflowForm({
  onImported,
  onCancel,
}: {
  onImported: (id: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [category, setCategory] = useState('custom');
  const [description, setDescription] = useState('');
  const [text, setText] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useCreateWorkflow();

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const content = await file.text();
    setText(content);
    if (!name) setName(file.name.replace(/\.json$/i, ''));
    const checked = checkGraphText(content);
    setErrors(checked.error ? { graph: checked.error } : {});
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const checked = checkGraphText(text);
    const body = {
      name,
      category: category.trim() || undefined,
      description: description || undefined,
      graph: checked.graph,
    };
    const result = validate(createWorkflowInput, body);
    const fieldErrors: FieldErrors = result.ok ? {} : { ...result.errors };
    if (checked.error) fieldErrors.graph = checked.error;
    if (Object.keys(fieldErrors).length > 0 || !result.ok) {
      setErrors(fieldErrors);
      return;
    }
    setErrors({});
    create.mutate(result.data, {
      onSuccess: (w) => onImported(w.id),
      onError: (err) =>
        setErrors(
          apiFieldErrors(err, ['name', 'category', 'description', 'graph'], 'Could not import the workflow.'),
        ),
    });
  };

  return (
    <form className="import-form" onSubmit={submit} noValidate aria-label="Import workflow">
      <h2>Import a workflow</h2>
      <p className="hint">
        Use an API-format export: in ComfyUI, choose <strong>Workflow → Export (API)</strong>. The prompt,
        seed, size and length inputs are found automatically; you can change them afterwards.
      </p>
      <div className="import-form__grid">
        <Field label="Name" error={errors.name}>
          {(p) => <input {...p} className="input" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Category" error={errors.category}>
          {(p) => (
            <input {...p} className="input" value={category} onChange={(e) => setCategory(e.target.value)} />
          )}
        </Field>
      </div>
      <Field label="Description" error={errors.description}>
        {(p) => (
          <input
            {...p}
            className="input"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        )}
      </Field>
      <Field label="Workflow JSON (API format)" error={errors.graph}>
        {(p) => (
          <textarea
            {...p}
            className="input input--code"
            rows={10}
            spellCheck={false}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              const checked = checkGraphText(e.target.value);
              // Say "UI format" as soon as it is pasted; other problems wait for submit.
              setErrors((old) => {
                const { graph: _drop, ...rest } = old;
                return checked.error === UI_FORMAT_REFUSAL ? { ...rest, graph: UI_FORMAT_REFUSAL } : rest;
              });
            }}
          />
        )}
      </Field>
      <Field label="Or upload a .json file">
        {(p) => <input {...p} type="file" accept="application/json,.json" onChange={onFile} />}
      </Field>
      {errors._form ? (
        <p className="form-error" role="alert">
          {errors._form}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Importing…' : 'Import workflow'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
