import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Database } from '@framesmith/db';
import { PROJECT_CHANGED_CHANNEL, ProjectViewCache, acceptsGzip } from '../../src/project-view-cache.ts';

/**
 * Just enough of a Database for the cache: NOTIFY channels the test can fire. A notice sent with
 * `notify` comes back after the ones `queue` holds (commit order), or never while `lost`.
 */
function fakeDatabase() {
  const listeners = new Map<string, (payload: string) => void>();
  const queued: [string, string][] = [];
  const state = { lost: false };
  const deliver = (channel: string, payload: string) => listeners.get(channel)?.(payload);
  const database = {
    async listen(channel: string, cb: (payload: string) => void) {
      listeners.set(channel, cb);
      return async () => {
        listeners.delete(channel);
      };
    },
    async notify(channel: string, payload: string) {
      queued.push([channel, payload]);
      setImmediate(() => {
        for (const [c, p] of queued.splice(0)) if (!state.lost) deliver(c, p);
      });
    },
  } as unknown as Database;
  return {
    database,
    fire: (projectId: string) => deliver(PROJECT_CHANGED_CHANNEL, projectId),
    /** A change committed whose notice has not arrived yet. */
    queue: (projectId: string) => queued.push([PROJECT_CHANGED_CHANNEL, projectId]),
    state,
    listeners,
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('project view cache', () => {
  test('serves the stored view until a change is announced', async () => {
    const { database, fire } = fakeDatabase();
    const cache = await ProjectViewCache.start(database);
    let loads = 0;
    const load = async () => ({ n: ++loads });
    assert.equal(JSON.parse((await cache.get('p1', load)).body.toString()).n, 1);
    assert.equal(JSON.parse((await cache.get('p1', load)).body.toString()).n, 1);
    fire('p2');
    assert.equal(JSON.parse((await cache.get('p1', load)).body.toString()).n, 1, 'another project changed');
    fire('p1');
    assert.equal(JSON.parse((await cache.get('p1', load)).body.toString()).n, 2);
    await cache.close();
  });

  test('a load that overlapped a change is returned but not kept', async () => {
    const { database, fire } = fakeDatabase();
    const cache = await ProjectViewCache.start(database);
    const gate = deferred<object>();
    const first = cache.get('p1', () => gate.promise);
    fire('p1'); // the project changed while the first load was reading
    gate.resolve({ v: 'old' });
    assert.equal((await first).body.toString(), '{"v":"old"}');
    assert.equal(cache.size, 0);
    const next = await cache.get('p1', async () => ({ v: 'new' }));
    assert.equal(next.body.toString(), '{"v":"new"}');
    await cache.close();
  });

  test('concurrent misses share one load; errors are not kept', async () => {
    const { database } = fakeDatabase();
    const cache = await ProjectViewCache.start(database);
    let loads = 0;
    const gate = deferred<object>();
    const load = () => {
      loads++;
      return gate.promise;
    };
    const all = Promise.all([1, 2, 3].map(() => cache.get('p1', load)));
    gate.resolve({ ok: true });
    const views = await all;
    assert.equal(loads, 1);
    assert.ok(views.every((v) => v.etag === views[0]!.etag));
    await assert.rejects(cache.get('p2', async () => Promise.reject(new Error('not found'))));
    assert.equal(cache.size, 1);
    await cache.close();
  });

  test('entries expire after the TTL, the oldest go past maxEntries, and close unsubscribes', async () => {
    const { database, listeners } = fakeDatabase();
    let now = 0;
    const cache = await ProjectViewCache.start(database, { ttlMs: 100, maxEntries: 2, now: () => now });
    let loads = 0;
    const load = async () => ({ n: ++loads });
    await cache.get('a', load);
    now = 99;
    await cache.get('a', load);
    assert.equal(loads, 1);
    now = 100;
    await cache.get('a', load);
    assert.equal(loads, 2);
    await cache.get('b', load);
    await cache.get('c', load);
    assert.equal(cache.size, 2);
    await cache.get('a', load);
    assert.equal(loads, 5, 'a was the oldest and went first');
    await cache.close();
    assert.equal(listeners.size, 0);
  });

  test('sync waits for change notices already under way', async () => {
    const { database, queue } = fakeDatabase();
    // Generous: on a loaded machine a short timeout could fire before the notice comes back,
    // and then sync rightly drops everything, which is the other test's case.
    const cache = await ProjectViewCache.start(database, { syncTimeoutMs: 10_000 });
    let loads = 0;
    const load = async () => ({ n: ++loads });
    await cache.sync(); // nothing cached: returns at once
    await cache.get('p1', load);
    await cache.get('p2', load);
    queue('p1'); // committed, notice on its way
    await cache.sync();
    assert.equal(JSON.parse((await cache.get('p1', load)).body.toString()).n, 3, 'p1 was dropped');
    assert.equal(JSON.parse((await cache.get('p2', load)).body.toString()).n, 2, 'p2 was kept');
    await cache.close();
  });

  test('sync drops everything if its own notice never comes back', async () => {
    const { database, state } = fakeDatabase();
    const cache = await ProjectViewCache.start(database, { syncTimeoutMs: 20 });
    await cache.get('p1', async () => ({ n: 1 }));
    state.lost = true; // the listening connection is gone: notices no longer arrive
    await cache.sync();
    assert.equal(cache.size, 0);
    await cache.close();
  });

  test('Accept-Encoding: gzip unless refused with q=0', () => {
    for (const yes of ['gzip', 'gzip, deflate, br', 'br;q=1, GZIP;q=0.5', '*'])
      assert.equal(acceptsGzip(yes), true, yes);
    for (const no of [undefined, '', 'br', 'identity', 'gzip;q=0', 'gzip; q=0.0'])
      assert.equal(acceptsGzip(no), false, no);
  });
});
