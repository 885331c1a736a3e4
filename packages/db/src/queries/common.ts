import { RequestError } from '@framesmith/core';
import type { Db } from '../open-db.ts';

/** The database or a transaction on it: every query function accepts either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Executor = Db | Tx;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that are not UUIDs cannot name a row; callers treat them as unknown (404), never as a query error. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** A 400 naming one field, from a "field: message" text such as core's findBindingProblem returns. */
export function fieldProblem(text: string, fallbackField: string): RequestError {
  const i = text.indexOf(': ');
  const field = i > 0 ? text.slice(0, i) : fallbackField;
  const message = i > 0 ? text.slice(i + 2) : text;
  return new RequestError('VALIDATION_ERROR', `${field}: ${message}`, { fields: [{ field, message }] });
}

/** Rows returned by `db.execute` on either driver. */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A segment's error fields, emptied: spread into an UPDATE's set when a segment leaves `failed`. */
export const CLEARED_SEGMENT_ERROR = {
  errorCode: null,
  errorMessage: null,
  errorTips: null,
  errorDetail: null,
  retryable: null,
  errorAt: null,
} as const;

/**
 * A statement prepared once per database handle, on first use: the hot path's queries (a claim,
 * a completion) are then not rebuilt by drizzle on every call, and PostgreSQL parses and plans
 * each once per connection (named statements). `build` calls `.prepare(name)` with placeholders.
 */
export function preparedPer<T>(build: (db: Executor) => T): (db: Executor) => T {
  const prepared = new WeakMap<Executor, T>();
  return (db) => {
    let statement = prepared.get(db);
    if (!statement) {
      statement = build(db);
      prepared.set(db, statement);
    }
    return statement;
  };
}
