import { type FormEvent, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import { apiFieldErrors, type FieldErrors, validate } from '../../../lib/validation.ts';
import { createProjectInput, useCreateProject } from '../api/create-project.ts';

/** New project: a name, then straight into its timeline. */
export function CreateProjectForm({ onCreated }: { onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useCreateProject();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const checked = validate(createProjectInput, { name });
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    create.mutate(checked.data, {
      onSuccess: (project) => {
        setName('');
        onCreated(project.id);
      },
      onError: (err) => setErrors(apiFieldErrors(err, ['name'], 'Could not create the project.')),
    });
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="New project">
      <Field label="Project name" error={errors.name}>
        {(p) => (
          <input
            {...p}
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="My first timeline"
            autoComplete="off"
          />
        )}
      </Field>
      <button type="submit" className="button button--primary" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create project'}
      </button>
      {errors._form ? (
        <p className="form-error" role="alert">
          {errors._form}
        </p>
      ) : null}
    </form>
  );
}
