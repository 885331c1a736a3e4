/**
 * PostgreSQL cannot store U+0000 in text or jsonb, nor a lone UTF-16 surrogate in jsonb. A body
 * holding one would fail deep in the database; it is refused up front, naming the field.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what must be found.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string or key PostgreSQL cannot store, or null. */
export function findUnstorableText(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return [...path, key.replace(UNSTORABLE, '?')];
      const found = findUnstorableText(v, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
