import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { parseConfig } from '@framesmith/core';
import { openTestDb, testDbKind } from '@framesmith/db/testing';
import { buildApp } from '@framesmith/server';
import { pipelineRoutes } from '@framesmith/server/routes/renders';
import { startPipeline } from '../../src/pipeline.ts';

test('a lost LISTEN connection ends every open event stream, so clients reconnect and resync', {
  skip: testDbKind() !== 'postgres',
  timeout: 30_000,
}, async () => {
  const database = await openTestDb();
  const storageDir = mkdtempSync(join(tmpdir(), 'framesmith-events-reset-'));
  const config = parseConfig({ COMFYUI_URL: 'http://127.0.0.1:9', STORAGE_DIR: storageDir });
  const pipeline = await startPipeline({ database, config, role: 'api' });
  const app = await buildApp({
    database,
    config,
    pipeline,
    storage: pipeline.storage,
    routes: pipelineRoutes,
  });
  const abort = new AbortController();
  try {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/api/events`, { signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': connected')) text += (await reader.read()).value ?? '';
    const reset = new Promise<void>((resolve) => pipeline.events.onReset(resolve));

    // Kill the listening backends from the server side, as a database restart would.
    await database.db.execute(sql`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`);
    await reset;

    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    assert.equal(ended, true);
    assert.equal(pipeline.events.subscriberCount, 0);
  } finally {
    abort.abort();
    await app.close();
    await pipeline.stop({ graceful: false });
    await database.destroy();
    rmSync(storageDir, { recursive: true, force: true });
  }
});
