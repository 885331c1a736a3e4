import { useState } from 'react';
import { apiFieldErrors, type FieldErrors, validate } from '../../../lib/validation.ts';
import { SEGMENT_FIELDS } from './segment-form-values.ts';

/**
 * Validates a body with the core schema the API uses, sends it, and turns a refusal (ours or the
 * API's) into messages beside the fields.
 */
export function useSegmentSubmit() {
  const [errors, setErrors] = useState<FieldErrors>({});

  const submit = <T>(
    schema: Parameters<typeof validate>[0],
    body: unknown,
    send: (body: T, handlers: { onSuccess: () => void; onError: (err: unknown) => void }) => void,
    onDone: () => void,
  ) => {
    const checked = validate(schema, body);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    send(checked.data as T, {
      onSuccess: onDone,
      onError: (err) => setErrors(serverErrors(err)),
    });
  };

  return { errors, setErrors, submit };
}

export function serverErrors(err: unknown): FieldErrors {
  return apiFieldErrors(err, SEGMENT_FIELDS, 'Could not save the segment. Try again.');
}
