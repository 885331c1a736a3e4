import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inArray } from 'drizzle-orm';
import { parseConfig } from '@framesmith/core';
import { createProject, createSegment, segments } from '@framesmith/db';
import { insertAsset } from '@framesmith/db/queries/assets';
import { findRenderJobRow, insertRenderJob } from '@framesmith/db/queries/render-jobs';
import { openTestDb, type TestDatabase } from '@framesmith/db/testing';
import type { PipelineContext } from '../../src/context.ts';
import { EventHub, type LiveEvent } from '../../src/events.ts';
import type { JobQueue } from '../../src/queue.ts';
import { deferAdvances } from '../../src/render-progress.ts';
import { retryPolicyFrom } from '../../src/retry-decision.ts';
import { silentLogger } from '../../src/logger.ts';

// A completed segment's render job is accounted a moment later, once for a run of completions,
// and at once when the worker stops (deferAdvances).

let database: TestDatabase;
let hub: EventHub;
const events: LiveEvent[] = [];
const composes: string[] = [];
let ctx: PipelineContext;

before(async () => {
  database = await openTestDb();
  hub = await EventHub.start(database);
  hub.subscribe(null, (e) => events.push(e));
  const config = parseConfig({ STORAGE_DIR: '/nonexistent' });
  ctx = {
    database,
    config,
    // The queue is only asked to queue the composition; what it does with it is the e2e tests' part.
    queue: {
      send: async (_name: string, payload: { renderJobId: string }) => {
        composes.push(payload.renderJobId);
        return 'job';
      },
    } as unknown as JobQueue,
    storage: undefined as never,
    logger: silentLogger,
    policy: retryPolicyFrom(config),
    random: Math.random,
  };
});
after(async () => {
  await hub?.stop();
  await database?.destroy();
});

/** A generating render job whose segments have all completed. */
async function doneRenderJob(name: string): Promise<string> {
  const { db } = database;
  const project = await createProject(db, { name });
  const a = await createSegment(db, project.id, { prompt: 'a' });
  const b = await createSegment(db, project.id, { prompt: 'b' });
  const job = await insertRenderJob(db, {
    projectId: project.id,
    segmentIds: [a.id, b.id],
    settings: {},
    status: 'generating',
  });
  const clip = await insertAsset(db, {
    projectId: project.id,
    kind: 'clip',
    storageKey: `clips/${name}.mp4`,
    contentType: 'video/mp4',
    sizeBytes: 1,
  });
  await db
    .update(segments)
    .set({ status: 'completed', outputAssetId: clip.id })
    .where(inArray(segments.id, [a.id, b.id]));
  return job!.id;
}

const jobEvents = (id: string) => events.filter((e) => e.event === 'render-job' && e.data.id === id);

/** Waits for the render job's first announcement, then a while longer for any second one. */
async function announced(id: string): Promise<void> {
  for (let waited = 0; jobEvents(id).length === 0 && waited < 5000; waited += 20) await sleep(20);
  await sleep(100);
}

test('completions close together account their render job once, after the delay', async () => {
  const id = await doneRenderJob('coalesced');
  const advances = deferAdvances(ctx, 300);
  advances.soon(id);
  advances.soon(id);
  advances.soon(null); // a segment outside any render job
  assert.equal((await findRenderJobRow(database.db, id))?.status, 'generating', 'not before the delay');
  await announced(id);
  assert.equal((await findRenderJobRow(database.db, id))?.status, 'compositing');
  assert.deepEqual(composes, [id], 'one composition queued');
  assert.equal(jobEvents(id).length, 1, 'one announcement');
});

test('flush accounts a waiting render job at once, and its timer does nothing more', async () => {
  const id = await doneRenderJob('flushed');
  const advances = deferAdvances(ctx, 10_000);
  advances.soon(id);
  await advances.flush();
  assert.equal((await findRenderJobRow(database.db, id))?.status, 'compositing');
  await advances.flush();
  // On PostgreSQL the announcement comes back through LISTEN, a moment after it was made.
  await announced(id);
  assert.equal(jobEvents(id).length, 1);
  assert.equal(composes.filter((c) => c === id).length, 1);
});
