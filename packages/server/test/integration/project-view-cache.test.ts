import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { parseConfig, type ProjectWithSegments } from '@framesmith/core';
import { openDb, renderJobs, segments } from '@framesmith/db';
import { testDbKind } from '@framesmith/db/testing';
import { buildApp, type RoutePlugin } from '@framesmith/server';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** Polls until `check` holds: notifications arrive asynchronously on PostgreSQL. */
async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline)
      assert.fail(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 300)}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe(`project view cache (${testDbKind()})`, () => {
  let t: TestApp;
  before(async () => {
    // A long TTL, so only the change notifications can explain a fresh view.
    t = await startTestApp({ projectViewCache: { ttlMs: 600_000 } });
  });
  after(() => t.close());

  const view = async (id: string) =>
    (await t.call('GET', `/api/projects/${id}`)).json() as ProjectWithSegments;

  test('changes made outside the API (a worker) show in the next views', async () => {
    const pid = (await t.call('POST', '/api/projects', { name: 'cached' })).json().id;
    const seg = (await t.call('POST', `/api/projects/${pid}/segments`, { prompt: 'x' })).json();
    assert.equal((await view(pid)).segments[0]!.status, 'pending');
    // A load that overlaps the (asynchronous) notice of the insert is not kept; the next one is.
    await eventually(
      async () => {
        await view(pid);
        return t.app.projectViews.size;
      },
      (size) => size > 0,
    );

    await t.database.db
      .update(segments)
      .set({ status: 'generating', progress: 0.5 })
      .where(eq(segments.id, seg.id));
    const generating = await eventually(
      () => view(pid),
      (v) => v.segments[0]!.status === 'generating',
    );
    assert.equal(generating.segments[0]!.progress, 0.5);
    assert.equal(generating.counts.generating, 1);

    const [job] = await t.database.db
      .insert(renderJobs)
      .values({ projectId: pid, status: 'generating', segmentIds: [seg.id] })
      .returning();
    await eventually(
      () => view(pid),
      (v) => v.lastRender?.id === job!.id,
    );
  });

  test('a write through any route shows in the next view, even from a route that does not invalidate', async () => {
    // As the pipeline's routes (retry, cancel, render) do: change rows, answer, never touch the cache.
    const rawWriter: RoutePlugin = async (app, { deps }) => {
      app.post('/test/segments/:id/status/:status', async (req) => {
        const { id, status } = req.params as { id: string; status: 'queued' | 'failed' };
        await deps.database.db.update(segments).set({ status }).where(eq(segments.id, id));
        return { ok: true };
      });
    };
    const own = await buildApp({
      database: t.database,
      config: parseConfig({}),
      routes: [rawWriter],
      projectViewCache: { ttlMs: 600_000 },
    });
    try {
      const pid = (await t.call('POST', '/api/projects', { name: 'raw writes' })).json().id;
      const seg = (await t.call('POST', `/api/projects/${pid}/segments`, { prompt: 'x' })).json();
      const read = async () =>
        (await own.inject({ url: `/api/projects/${pid}` })).json() as ProjectWithSegments;
      await eventually(
        async () => {
          await read();
          return own.projectViews.size;
        },
        (size) => size > 0,
      );
      for (let i = 0; i < 30; i++) {
        const status = i % 2 === 0 ? 'queued' : 'failed';
        const wrote = await own.inject({ method: 'POST', url: `/test/segments/${seg.id}/status/${status}` });
        assert.equal(wrote.statusCode, 200);
        assert.equal((await read()).segments[0]!.status, status, `read after write ${i}`);
      }
    } finally {
      await own.close();
    }
  });

  test('API writes are visible at once, and ETags give 304 until something changes', async () => {
    const pid = (await t.call('POST', '/api/projects', { name: 'etag' })).json().id;
    const first = await t.call('GET', `/api/projects/${pid}`);
    const etag = first.headers.etag as string;
    assert.ok(etag);
    const again = await t.app.inject({ url: `/api/projects/${pid}`, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    await t.call('PATCH', `/api/projects/${pid}`, { name: 'renamed' });
    const changed = await t.app.inject({ url: `/api/projects/${pid}`, headers: { 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    assert.equal(changed.json().name, 'renamed');
    const seg = (await t.call('POST', `/api/projects/${pid}/segments`, { prompt: 'new' })).json();
    assert.equal((await view(pid)).segments.length, 1);
    await t.call('PATCH', `/api/segments/${seg.id}`, { prompt: 'edited' });
    assert.equal((await view(pid)).segments[0]!.prompt, 'edited');
    await t.call('DELETE', `/api/segments/${seg.id}`);
    assert.equal((await view(pid)).segments.length, 0);
    await t.call('DELETE', `/api/projects/${pid}`);
    assert.equal((await t.call('GET', `/api/projects/${pid}`)).statusCode, 404);
  });

  test('a client that accepts gzip gets the same view gzipped, with its own ETag', async () => {
    const pid = (await t.call('POST', '/api/projects', { name: 'zipped' })).json().id;
    for (let i = 0; i < 5; i++)
      await t.call('POST', `/api/projects/${pid}/segments`, { prompt: `clip ${i}` });
    const plain = await t.call('GET', `/api/projects/${pid}`);
    const zipped = await t.app.inject({
      url: `/api/projects/${pid}`,
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(zipped.statusCode, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(String(zipped.headers.vary), /accept-encoding/i);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.rawPayload).toString()), plain.json());
    assert.ok(zipped.rawPayload.length < plain.rawPayload.length);
    assert.notEqual(zipped.headers.etag, plain.headers.etag);
    const notModified = await t.app.inject({
      url: `/api/projects/${pid}`,
      headers: { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag as string },
    });
    assert.equal(notModified.statusCode, 304);
    const refused = await t.app.inject({
      url: `/api/projects/${pid}`,
      headers: { 'accept-encoding': 'gzip;q=0' },
    });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  test('scale-out: a change through one API process reaches the cache of another', {
    skip: testDbKind() !== 'postgres',
  }, async () => {
    const other = await openDb({ databaseUrl: t.database.url!, migrate: false, poolSize: 2 });
    const second = await buildApp({
      database: other,
      config: parseConfig({}),
      projectViewCache: { ttlMs: 600_000 },
    });
    try {
      const pid = (await t.call('POST', '/api/projects', { name: 'two processes' })).json().id;
      const seg = (await t.call('POST', `/api/projects/${pid}/segments`, { prompt: 'before' })).json();
      const read = async () =>
        (await second.inject({ url: `/api/projects/${pid}` })).json() as ProjectWithSegments;
      assert.equal((await read()).segments[0]!.prompt, 'before');
      await t.call('PATCH', `/api/segments/${seg.id}`, { prompt: 'after' });
      await eventually(read, (v) => v.segments[0]!.prompt === 'after');
    } finally {
      await second.close();
      await other.close();
    }
  });
});
