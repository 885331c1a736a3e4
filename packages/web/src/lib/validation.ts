import type { z } from 'zod';
import { type FieldError, isApiError } from './api-client.ts';

/** Field path → message, first problem per field. */
export type FieldErrors = Record<string, string>;

/** Runs a core schema in the browser, so a form says what the API would say before sending. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { ok: true; data: z.output<S> } | { ok: false; errors: FieldErrors } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path.map(String).join('.') || '_form';
    if (!(field in errors)) errors[field] = issue.message;
  }
  return { ok: false, errors };
}

/** Server field errors keyed like `validate`'s. Fields the form does not show go under `_form`. */
export function toFieldErrors(fields: readonly FieldError[], known: readonly string[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const f of fields) {
    const key = known.includes(f.field) ? f.field : '_form';
    const message = key === '_form' && f.field ? `${f.field}: ${f.message}` : f.message;
    if (!(key in errors)) errors[key] = message;
  }
  return errors;
}

/**
 * What a failed save shows: the API's field problems beside their fields, else its message, else
 * `fallback` (a network failure has no message worth showing).
 */
export function apiFieldErrors(err: unknown, known: readonly string[], fallback: string): FieldErrors {
  if (!isApiError(err)) return { _form: fallback };
  return err.fields.length > 0 ? toFieldErrors(err.fields, known) : { _form: err.message };
}
