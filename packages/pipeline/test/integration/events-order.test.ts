import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projects, segments, serializeSegment } from '@framesmith/db';
import { openTestDb, testDbKind } from '@framesmith/db/testing';
import { EVENTS_CHANNEL, EventHub } from '../../src/events.ts';

test(`live events reach subscribers in the order they were announced (${testDbKind()})`, async () => {
  const db = await openTestDb();
  const hub = await EventHub.start(db);
  try {
    const [p] = await db.db.insert(projects).values({ name: 'p' }).returning();
    const [row] = await db.db
      .insert(segments)
      .values({ projectId: p!.id, position: 0, prompt: 'read back from the database' })
      .returning();
    const got: string[] = [];
    const both = new Promise<void>((resolve) => {
      hub.subscribe(p!.id, (e) => {
        got.push((e.data as { prompt: string }).prompt);
        if (got.length === 2) resolve();
      });
    });
    // A notice too large for NOTIFY carries only ids and is read back; a later, small one carries
    // the resource. The later one must not overtake it.
    await db.notify(EVENTS_CHANNEL, JSON.stringify({ kind: 'segment', id: row!.id, projectId: p!.id }));
    const inline = { ...serializeSegment(row!, null), prompt: 'carried inline' };
    await db.notify(
      EVENTS_CHANNEL,
      JSON.stringify({ kind: 'segment', id: row!.id, projectId: p!.id, data: inline }),
    );
    await both;
    assert.deepEqual(got, ['read back from the database', 'carried inline']);
  } finally {
    await hub.stop();
    await db.destroy();
  }
});
