import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';
import { MissingJobHandlerError, checkHandlers, type JobHandlers } from '../../src/job-registry.ts';
import { JobQueue } from '../../src/queue.ts';

let database: TestDatabase;
let queue: JobQueue;

before(async () => {
  database = await openTestDb();
  queue = await JobQueue.start(database, { tuning: { retryLimit: 1, retryDelaySeconds: 0 } });
});
after(async () => {
  await queue?.stop({ graceful: false });
  await database?.destroy();
});

test('startup refuses a registry with a missing handler', () => {
  assert.throws(
    () => checkHandlers({ 'segment-generate': async () => ({ outcome: 'completed' }) }),
    (e: unknown) => e instanceof MissingJobHandlerError && /render-compose/.test(e.message),
  );
});

test('jobs reach their handler with a validated payload; exhausted jobs land in the dead-letter queue', async () => {
  const seen: string[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const handlers: JobHandlers = checkHandlers({
    'segment-generate': async (payload, ctx) => {
      seen.push(payload.segmentId);
      assert.equal(typeof ctx.jobId, 'string');
      if (seen.length === 1) resolveDone();
      return { outcome: 'completed' };
    },
    'render-compose': async () => {
      throw new Error('disk on fire');
    },
  });
  await queue.work(handlers, { 'segment-generate': 1, 'render-compose': 1 });
  const segmentId = randomUUID();
  await queue.send('segment-generate', { segmentId, renderJobId: null });
  await done;
  assert.deepEqual(seen, [segmentId]);

  const renderJobId = randomUUID();
  await queue.send('render-compose', { renderJobId });
  // Two tries (retryLimit 1), then the dead-letter queue keeps it for the API to list.
  for (;;) {
    const dead = await queue.deadLetters();
    const found = dead.find((d) => (d.data as { renderJobId?: string }).renderJobId === renderJobId);
    if (found) {
      assert.equal(found.queue, 'render-compose');
      assert.match(JSON.stringify(found.error), /disk on fire/);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await queue.liveKeys('render-compose', [renderJobId])).size, 0);
});

test('a delayed job is live until it runs', async () => {
  const key = randomUUID();
  await queue.send(
    'segment-generate',
    { segmentId: key, renderJobId: null },
    { startAfter: new Date(Date.now() + 60_000) },
  );
  assert.deepEqual([...(await queue.liveKeys('segment-generate', [key, randomUUID()]))], [key]);
});

test('many jobs are queued in one statement, each keyed and with its queue settings; one delayed stays waiting', async () => {
  const [now, later] = [randomUUID(), randomUUID()];
  const ids = await queue.sendMany('segment-generate', [
    { payload: { segmentId: now, renderJobId: null } },
    { payload: { segmentId: later, renderJobId: null }, startAfter: new Date(Date.now() + 60_000) },
  ]);
  assert.equal(ids.length, 2);
  const jobs = await Promise.all(ids.map((id) => queue.boss.getJobById('segment-generate', id)));
  // By key: the ids need not come back in the order sent.
  const byKey = new Map(jobs.map((j) => [j?.singletonKey, j]));
  assert.deepEqual(
    [now, later].map((k) => {
      const j = byKey.get(k);
      return [j?.retryLimit, (j?.data as { segmentId: string } | undefined)?.segmentId];
    }),
    [
      [1, now],
      [1, later],
    ],
  );
  // The delayed one starts when it was told to, not now.
  assert.ok(byKey.get(later)!.startAfter.getTime() > Date.now() + 50_000);
  assert.ok(byKey.get(now)!.startAfter.getTime() <= Date.now());
  // (The other may already have run: this file's workers are taking jobs.)
  assert.ok((await queue.liveKeys('segment-generate', [later])).has(later));
  assert.deepEqual(await queue.sendMany('segment-generate', []), []);
});
