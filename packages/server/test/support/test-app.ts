import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';
import { type AppDeps, buildApp } from '@framesmith/server';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  /** Sends a request; `body` is sent as JSON. */
  call(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The real app on a fresh test database (PGlite or PostgreSQL, from TEST_DB). */
export async function startTestApp(extra: Partial<AppDeps> = {}): Promise<TestApp> {
  const database = await openTestDb();
  const app = await buildApp({ database, config: parseConfig({}), version: '0.0.0-test', ...extra });
  return {
    app,
    database,
    call: (method, url, body) =>
      app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) }),
    async close() {
      await app.close();
      await database.destroy();
    },
  };
}

/** Asserts the error envelope, and that nothing internal (a stack, a path) leaks. */
export function assertApiError(
  res: LightMyRequestResponse,
  status: number,
  code: string,
  messageIncludes?: string | RegExp,
): { code: string; message: string; details?: unknown } {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`);
  const body = res.json() as { error: { code: string; message: string; details?: unknown } };
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  if (typeof messageIncludes === 'string')
    assert.ok(body.error.message.includes(messageIncludes), body.error.message);
  else if (messageIncludes) assert.match(body.error.message, messageIncludes);
  assertNothingInternal(res.body);
  return body.error;
}

export function assertNothingInternal(text: string): void {
  assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(text, /node_modules|\/work\/|file:\/\//, 'no file paths');
}
