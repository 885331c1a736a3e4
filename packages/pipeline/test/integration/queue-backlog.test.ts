import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { openTestDb } from '@framesmith/db/testing';
import { checkHandlers } from '../../src/job-registry.ts';
import { JobQueue } from '../../src/queue.ts';

test('a backlog of quick jobs runs back to back, not one per poll interval', async () => {
  const database = await openTestDb();
  // A long poll: the jobs must not be waiting for it.
  const queue = await JobQueue.start(database, { tuning: { pollingIntervalSeconds: 4 } });
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let firstTaken!: () => void;
    const taken = new Promise<void>((r) => {
      firstTaken = r;
    });
    const ran: string[] = [];
    let allRan!: () => void;
    const finished = new Promise<void>((r) => {
      allRan = r;
    });
    const count = 6;
    await queue.work(
      checkHandlers({
        'segment-generate': async ({ segmentId }) => {
          if (ran.length === 0) {
            firstTaken();
            await held; // the rest queue up behind the first
          }
          ran.push(segmentId);
          if (ran.length === count) allRan();
          return { outcome: 'completed' };
        },
        'render-compose': async () => ({ outcome: 'completed' }),
      }),
      { 'segment-generate': 1, 'render-compose': 1 },
    );
    await queue.send('segment-generate', { segmentId: randomUUID(), renderJobId: null });
    await taken;
    for (let i = 1; i < count; i++) {
      await queue.send('segment-generate', { segmentId: randomUUID(), renderJobId: null });
    }
    const releasedAt = performance.now();
    release();
    await finished;
    const took = performance.now() - releasedAt;
    // One poll interval is 4 s; back to back, six trivial jobs take well under one.
    assert.ok(took < 2500, `the backlog took ${Math.round(took)} ms`);
  } finally {
    await queue.stop({ graceful: false });
    await database.destroy();
  }
});
