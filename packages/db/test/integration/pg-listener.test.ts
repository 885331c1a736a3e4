import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestDb, testDbKind } from '@framesmith/db/testing';

test('a lost notification connection comes back, listens again and announces the reset', {
  skip: testDbKind() !== 'postgres',
}, async () => {
  const db = await openTestDb();
  try {
    const heard = new EventEmitter();
    await db.listen('framesmith_test_channel', (p) => heard.emit('payload', p));
    const reset = new Promise<void>((resolve) => db.onListenReset!(resolve));

    const first = once(heard, 'payload');
    await db.notify('framesmith_test_channel', 'before');
    assert.deepEqual(await first, ['before']);

    // Kill the listening backend from the server side, as a database restart would.
    await db.db.execute(sql`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`);
    await reset;

    const second = once(heard, 'payload');
    await db.notify('framesmith_test_channel', 'after');
    assert.deepEqual(await second, ['after']);
  } finally {
    await db.destroy();
  }
});

test('published notices reach every listener of their channel, in order, and no other; none after unlisten', async () => {
  const db = await openTestDb();
  try {
    const heard: string[] = [];
    const other: string[] = [];
    const stop = await db.listen('framesmith_test_published', (p) => heard.push(p));
    await db.listen('framesmith_test_elsewhere', (p) => other.push(p));
    let lastHeard: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      lastHeard = resolve;
    });
    await db.listen('framesmith_test_published', (p) => p === 'c' && lastHeard());
    for (const p of ['a', 'b', 'c']) await db.publish('framesmith_test_published', p);
    await all;
    // PostgreSQL delivers on another connection: give the last one to the first listener too.
    for (let i = 0; i < 50 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(heard, ['a', 'b', 'c']);
    assert.deepEqual(other, []);
    await stop();
    await db.publish('framesmith_test_published', 'd');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(heard, ['a', 'b', 'c']);
  } finally {
    await db.destroy();
  }
});
