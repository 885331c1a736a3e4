import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type Simulator, startSimulator } from '@framesmith/comfy-sim';
import { parseConfig } from '@framesmith/core';
import { openTestDb, type TestDatabase, testDbKind } from '@framesmith/db/testing';
import { type Pipeline, startPipeline } from '@framesmith/pipeline';
import { buildApp } from '@framesmith/server';
import { type Ops, startOps } from '@framesmith/server/ops';
import { pipelineRoutes } from '@framesmith/server/routes/renders';

/**
 * The UI learns of backend health from the event stream (ARCHITECTURE §10): a backend going down
 * reaches every open `/api/events` stream as `event: backend`, by name and never by address.
 */
describe(`backend changes on the event stream (${testDbKind()})`, () => {
  let database: TestDatabase;
  let sim: Simulator;
  let pipeline: Pipeline;
  let ops: Ops;
  let app: FastifyInstance;
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-events-backend-'));

  before(async () => {
    database = await openTestDb();
    sim = await startSimulator({ port: 0, generationMs: 50 });
    const config = parseConfig({
      COMFYUI_URL: sim.url,
      STORAGE_DIR: storageDir,
      HEALTH_CHECK_TIMEOUT_MS: '1500',
      // The test drives every check itself.
      HEALTH_CHECK_INTERVAL_MS: '3600000',
    });
    pipeline = await startPipeline({ database, config, role: 'api' });
    // An api-only process: ops keeps its own pool of COMFYUI_URL for health.
    ops = await startOps({ database, config, role: 'api' });
    app = await buildApp({
      database,
      config,
      pipeline,
      storage: pipeline.storage,
      routes: [...pipelineRoutes, ...ops.routes],
      ...(ops.health ? { backendChanges: ops.health } : {}),
    });
  });

  after(async () => {
    await app?.close();
    await ops?.stop();
    await pipeline?.stop({ graceful: false });
    await sim?.close();
    await database?.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  });

  test('a backend going down sends `event: backend` with its new status', { timeout: 30_000 }, async () => {
    assert.ok(ops.health);
    await ops.health.checkNow();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const abort = new AbortController();
    try {
      // Every stream carries backend events: a project's, the all-projects one, and the
      // backends-only one that pages without a project open use.
      const open = async (path: string) => {
        const res = await fetch(`${address}${path}`, { signal: abort.signal });
        assert.equal(res.status, 200);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        while (!text.includes(': connected')) text += (await reader.read()).value ?? '';
        return { reader, text };
      };
      const streams = [await open('/api/events'), await open('/api/events?scope=backends')];

      await sim.goDown();
      const checked = ops.health.checkNow();
      const listed = async () =>
        ((await app.inject('/api/health/comfyui')).json() as { backends: Record<string, unknown>[] })
          .backends[0]!;
      for (const stream of streams) {
        let down: Record<string, unknown> | undefined;
        while (!down) {
          const chunk = await stream.reader.read();
          assert.equal(chunk.done, false, 'the stream stays open');
          stream.text += chunk.value ?? '';
          for (const m of stream.text.matchAll(/event: backend\ndata: (.*)\n\n/g)) {
            const b = JSON.parse(m[1]!) as Record<string, unknown>;
            if (b.status !== 'healthy') down = b;
          }
        }
        assert.equal(down.name, 'comfyui-1');
        assert.match(String(down.status), /^(unreachable|unhealthy|timeout)$/);
        assert.equal(down.enabled, true);
        // The same public shape as GET /api/health/comfyui lists: never an address.
        assert.deepEqual(Object.keys(down).sort(), Object.keys(await listed()).sort());
        assert.doesNotMatch(stream.text, /https?:\/\//);
        assert.ok(!stream.text.includes(`:${sim.port}`), 'no backend address on the stream');
      }
      await checked;
    } finally {
      abort.abort();
    }
  });
});
