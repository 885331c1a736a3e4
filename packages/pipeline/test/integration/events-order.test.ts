import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Database, projects, type SegmentRow, segments, serializeSegment } from '@framesmith/db';
import { openTestDb, testDbKind } from '@framesmith/db/testing';
import { EVENTS_CHANNEL, EventHub, publishSegments } from '../../src/events.ts';

/** A hub on a fresh database with one project and one segment, removed after `use`. */
async function withHub(
  prompt: string,
  use: (s: { db: Database; hub: EventHub; projectId: string; row: SegmentRow }) => Promise<void>,
): Promise<void> {
  const db = await openTestDb();
  const hub = await EventHub.start(db);
  try {
    const [p] = await db.db.insert(projects).values({ name: 'p' }).returning();
    const [row] = await db.db.insert(segments).values({ projectId: p!.id, position: 0, prompt }).returning();
    await use({ db, hub, projectId: p!.id, row: row! });
  } finally {
    await hub.stop();
    await db.destroy();
  }
}

test(`live events reach subscribers in the order they were announced (${testDbKind()})`, async () => {
  await withHub('read back from the database', async ({ db, hub, projectId, row }) => {
    const got: string[] = [];
    const both = new Promise<void>((resolve) => {
      hub.subscribe(projectId, (e) => {
        got.push((e.data as { prompt: string }).prompt);
        if (got.length === 2) resolve();
      });
    });
    // A notice too large for NOTIFY carries only ids and is read back; a later, small one carries
    // the resource. The later one must not overtake it.
    await db.notify(EVENTS_CHANNEL, JSON.stringify({ kind: 'segment', id: row.id, projectId }));
    const inline = { ...serializeSegment(row, null), prompt: 'carried inline' };
    await db.notify(EVENTS_CHANNEL, JSON.stringify({ kind: 'segment', id: row.id, projectId, data: inline }));
    await both;
    assert.deepEqual(got, ['read back from the database', 'carried inline']);
  });
});

test(`an inline notice with nothing ahead of it is delivered as it arrives, before the publisher goes on (${testDbKind()})`, async (t) => {
  // The embedded database delivers what is published in-process: the event must reach clients
  // before the publisher's next query takes the thread. (PostgreSQL delivers it over the network.)
  if (testDbKind() !== 'pglite') return t.skip('in-process delivery is the embedded database’s');
  await withHub('inline', async ({ db, hub, projectId, row }) => {
    const got: string[] = [];
    hub.subscribe(projectId, (e) => got.push((e.data as { prompt: string }).prompt));
    const data = serializeSegment(row, null);
    await db.publish(EVENTS_CHANNEL, JSON.stringify({ kind: 'segment', id: row.id, projectId, data }));
    assert.deepEqual(got, ['inline']);
  });
});

test(`many segments announced at once arrive each whole and in order (${testDbKind()})`, {
  timeout: 20_000,
}, async () => {
  await withHub('first', async ({ db, hub, projectId, row }) => {
    const rows: SegmentRow[] = [row];
    for (let i = 1; i < 30; i++) {
      const [r] = await db.db
        .insert(segments)
        .values({ projectId, position: i, prompt: `shot ${i}` })
        .returning();
      rows.push(r!);
    }
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      hub.subscribe(projectId, (e) => {
        got.push((e.data as { prompt: string }).prompt);
        if (got.length === rows.length) resolve();
      });
    });
    await publishSegments(db, rows);
    await all;
    assert.deepEqual(
      got,
      rows.map((r) => r.prompt),
    );
  });
});
