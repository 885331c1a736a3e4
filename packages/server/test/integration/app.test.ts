import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError, conflict, parseConfig } from '@framesmith/core';
import { testDbKind } from '@framesmith/db/testing';
import type { RoutePluginOptions } from '@framesmith/server';
import { assertApiError, assertNothingInternal, startTestApp, type TestApp } from '../support/test-app.ts';

/** A teammate's plugin, as `deps.routes` receives it: it sees deps and throws core errors. */
const probeRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get('/api/probe/deps', async () => ({ kind: deps.database.kind, same: app.deps === deps }));
  app.get('/api/probe/crash', async () => {
    throw new Error('connect ECONNREFUSED http://10.0.0.5:8188 at /srv/framesmith/secret.ts:12');
  });
  app.get('/api/probe/conflict', async () => {
    throw conflict('Already rendering', { renderJobId: 'r1' });
  });
  app.get('/api/probe/backend', async () => {
    throw new AppError('COMFYUI_OUT_OF_MEMORY', { detail: { backend: 'gpu-1' } });
  });
  app.get(
    '/api/probe/bad-response',
    { schema: { response: { 200: z.object({ n: z.number() }) } } },
    async () => ({ n: 'not a number' }) as never,
  );
  app.get(
    '/api/probe/query',
    { schema: { querystring: z.strictObject({ limit: z.coerce.number().int().min(1) }) } },
    async (req) => ({ limit: req.query.limit }),
  );
};

describe(`app (${testDbKind()})`, () => {
  let t: TestApp;
  const webDir = mkdtempSync(join(tmpdir(), 'framesmith-web-'));
  before(async () => {
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Framesmith UI</title>');
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
    t = await startTestApp({ routes: [probeRoutes], webDir, backendMode: 'simulated' });
  });
  after(async () => {
    await t.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  test('GET /api/health/live and /api/meta', async () => {
    const live = await t.call('GET', '/api/health/live');
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });
    const meta = await t.call('GET', '/api/meta');
    assert.deepEqual(meta.json(), {
      version: '0.0.0-test',
      backendMode: 'simulated',
      database: testDbKind(),
    });
  });

  test('backendMode follows COMFYUI_URL when not given', async () => {
    const { buildApp } = await import('@framesmith/server');
    const app = await buildApp({
      database: t.database,
      config: parseConfig({ COMFYUI_URL: 'http://gpu-1:8188' }),
    });
    try {
      assert.equal((await app.inject({ url: '/api/meta' })).json().backendMode, 'comfyui');
    } finally {
      await app.close();
    }
  });

  test('the OpenAPI document describes every core route, and /api/docs serves its UI', async () => {
    const res = await t.call('GET', '/api/docs/json');
    assert.equal(res.statusCode, 200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    for (const route of [
      'POST /api/projects',
      'GET /api/projects',
      'GET /api/projects/{id}',
      'PATCH /api/projects/{id}',
      'DELETE /api/projects/{id}',
      'POST /api/projects/{id}/segments',
      'GET /api/projects/{id}/segments',
      'POST /api/projects/{id}/segments/reorder',
      'GET /api/segments/{id}',
      'PATCH /api/segments/{id}',
      'DELETE /api/segments/{id}',
      'GET /api/workflows',
      'POST /api/workflows',
      'GET /api/workflows/{id}',
      'PATCH /api/workflows/{id}',
      'DELETE /api/workflows/{id}',
      'POST /api/workflows/{id}/duplicate',
      'GET /api/health/live',
      'GET /api/meta',
    ]) {
      assert.ok(routes.includes(route), `${route} is documented`);
    }
    assert.ok(doc.components.schemas.Segment, 'Segment is a named component');
    const ui = await t.app.inject({ url: '/api/docs' });
    assert.ok(ui.statusCode === 200 || ui.statusCode === 302, `${ui.statusCode}`);
  });

  test('extra route plugins get the deps; their core errors map to statuses', async () => {
    assert.deepEqual((await t.call('GET', '/api/probe/deps')).json(), { kind: testDbKind(), same: true });
    const c = assertApiError(
      await t.call('GET', '/api/probe/conflict'),
      409,
      'CONFLICT',
      'Already rendering',
    );
    assert.deepEqual(c.details, { renderJobId: 'r1' });
    const b = assertApiError(await t.call('GET', '/api/probe/backend'), 502, 'COMFYUI_OUT_OF_MEMORY');
    assert.equal((b.details as { retryable: boolean }).retryable, true);
    assertApiError(await t.call('GET', '/api/probe/query?limit=0'), 400, 'VALIDATION_ERROR', 'query.limit');
    assertApiError(await t.call('GET', '/api/probe/query?limit=2&x=1'), 400, 'VALIDATION_ERROR', 'query.x');
  });

  test('an unexpected error is a generic 500 INTERNAL_ERROR: no stack, URL, path or raw text', async () => {
    for (const url of ['/api/probe/crash', '/api/probe/bad-response']) {
      const err = assertApiError(await t.call('GET', url), 500, 'INTERNAL_ERROR');
      assert.doesNotMatch(err.message, /ECONNREFUSED|10\.0\.0\.5|secret|not a number/);
      assert.equal(err.details, undefined);
    }
  });

  test('unknown API routes are a JSON 404', async () => {
    assertApiError(await t.call('GET', '/api/nothing-here'), 404, 'NOT_FOUND');
    assertApiError(await t.call('POST', '/api/projects/x/y/z', {}), 404, 'NOT_FOUND');
    assertApiError(await t.call('PUT', '/api/projects'), 404, 'NOT_FOUND');
  });

  test('the web UI is served at / with a single-page-app fallback', async () => {
    const index = await t.app.inject({ url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /Framesmith UI/);
    const asset = await t.app.inject({ url: '/assets/app.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.body, 'console.log(1)');
    const deep = await t.app.inject({ url: '/projects/123?tab=errors' });
    assert.equal(deep.statusCode, 200);
    assert.match(deep.headers['content-type'] as string, /text\/html/);
    assert.match(deep.body, /Framesmith UI/);
    assertApiError(await t.app.inject({ url: '/api/projects-nope' }), 404, 'NOT_FOUND');
    assertApiError(await t.app.inject({ method: 'POST', url: '/somewhere', payload: {} }), 404, 'NOT_FOUND');
  });

  test("a request's id is the caller's well-formed x-request-id (else a new UUID), on its log lines and its answer", async () => {
    const { buildApp } = await import('@framesmith/server');
    const { createLogger, requestIdHeader } = await import('@framesmith/server/logger');
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    const app = await buildApp({
      database: t.database,
      config: parseConfig({}),
      logger: createLogger({ LOG_LEVEL: 'info' }, { destination }) as unknown as FastifyBaseLogger,
      routes: [requestIdHeader() as never, probeRoutes as never],
    });
    try {
      const given = await app.inject({ url: '/api/probe/crash', headers: { 'x-request-id': 'trace-42' } });
      assert.equal(given.headers['x-request-id'], 'trace-42');
      const failure = lines.find((l) => l.msg === 'request failed');
      assert.equal(failure?.requestId, 'trace-42', JSON.stringify(failure));
      const made = await app.inject({ url: '/api/health/live', headers: { 'x-request-id': 'not ok!' } });
      assert.match(String(made.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    } finally {
      await app.close();
    }
  });

  test('without a built UI, / explains how to get one', async () => {
    const { buildApp } = await import('@framesmith/server');
    const app = await buildApp({
      database: t.database,
      config: parseConfig({}),
      webDir: join(webDir, 'missing'),
    });
    try {
      const res = await app.inject({ url: '/' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /npm run build:web/);
      assert.match(res.body, /\/api\/docs/);
      assertNothingInternal(res.body);
      assertApiError(await app.inject({ url: '/projects/1' }), 404, 'NOT_FOUND');
    } finally {
      await app.close();
    }
  });
});
