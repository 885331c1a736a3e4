import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Field } from '../../../components/field.tsx';
import { apiFieldErrors, type FieldErrors, validate } from '../../../lib/validation.ts';
import { updateProjectInput, useUpdateProject } from '../api/update-project.ts';

interface Props {
  projectId: string;
  currentName: string;
  onDone: () => void;
}

/** Inline rename: Enter saves, Escape cancels. */
export function RenameProjectForm({ projectId, currentName, onDone }: Props) {
  const [name, setName] = useState(currentName);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useUpdateProject();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    inputRef.current?.select();
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === currentName) {
      onDone();
      return;
    }
    const checked = validate(updateProjectInput, { name });
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    update.mutate(
      { id: projectId, body: checked.data },
      {
        onSuccess: onDone,
        onError: (err) => setErrors(apiFieldErrors(err, ['name'], 'Could not rename the project.')),
      },
    );
  };

  return (
    <form
      className="inline-form"
      onSubmit={submit}
      noValidate
      aria-label="Rename project"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone();
      }}
    >
      <Field label="New name" error={errors.name ?? errors._form}>
        {(p) => (
          <input
            {...p}
            ref={inputRef}
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
          />
        )}
      </Field>
      <button type="submit" className="button button--primary" disabled={update.isPending}>
        {update.isPending ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
