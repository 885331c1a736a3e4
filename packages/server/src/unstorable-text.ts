/**
 * PostgreSQL cannot store U+0000 in text or jsonb, nor a lone UTF-16 surrogate in jsonb. A body
 * holding one would fail deep in the database; it is refused up front, naming the field.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what must be found.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * How deeply a JSON body may nest. An API-format ComfyUI graph goes about eight levels deep
 * (workflow, graph, node, inputs, a wrapped list value); a body thousands of levels deep would
 * overflow the stack of whatever walks it next (validation, JSON.stringify on the way to jsonb).
 */
export const MAX_BODY_DEPTH = 64;

export interface BodyProblem {
  /** Where it is, as the keys leading to it. */
  path: string[];
  message: string;
}

/** The first string or key PostgreSQL cannot store, or the first value nested too deeply, or null. */
export function findBodyProblem(value: unknown, path: string[] = []): BodyProblem | null {
  if (typeof value === 'string') {
    return UNSTORABLE.test(value)
      ? { path, message: 'contains a character that cannot be stored (such as U+0000)' }
      : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (path.length >= MAX_BODY_DEPTH) {
    return { path, message: `is nested too deeply (more than ${MAX_BODY_DEPTH} levels)` };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBodyProblem(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE.test(key)) {
      return {
        path: [...path, key.replace(UNSTORABLE, '?')],
        message: 'contains a character that cannot be stored (such as U+0000)',
      };
    }
    const found = findBodyProblem(v, [...path, key]);
    if (found) return found;
  }
  return null;
}
