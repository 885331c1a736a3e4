import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import { BUILTIN_TEXT_TO_VIDEO_ID } from '@framesmith/core';
import { projects, segments, workflows } from '@framesmith/db';
import { openTestDb, testDbKind } from '@framesmith/db/testing';
import { loadWorkflowSource } from '../../src/clip-loader.ts';

test(`a built-in workflow is read once per database; a library workflow every time, so edits show (${testDbKind()})`, async () => {
  const database = await openTestDb();
  const { db } = database;
  try {
    const [p] = await db.insert(projects).values({ name: 'p' }).returning();
    const graph = (text: string) => ({ '1': { class_type: 'CLIPTextEncode', inputs: { text } } });
    const [mine] = await db
      .insert(workflows)
      .values({ name: 'mine', graph: graph('first') })
      .returning();
    const [byDefault] = await db
      .insert(segments)
      .values({ projectId: p!.id, position: 0, prompt: 'default workflow' })
      .returning();
    const [withMine] = await db
      .insert(segments)
      .values({ projectId: p!.id, position: 1, prompt: 'own workflow', workflowId: mine!.id })
      .returning();

    const builtin = await loadWorkflowSource(db, byDefault!);
    assert.equal(builtin?.id, BUILTIN_TEXT_TO_VIDEO_ID);
    // Changed underneath (nothing in the product does this to a built-in): the copy already read is used.
    await db
      .update(workflows)
      .set({ graph: graph('changed') })
      .where(eq(workflows.id, BUILTIN_TEXT_TO_VIDEO_ID));
    assert.deepEqual(await loadWorkflowSource(db, byDefault!), builtin);

    assert.deepEqual((await loadWorkflowSource(db, withMine!))?.graph, graph('first'));
    await db
      .update(workflows)
      .set({ graph: graph('edited') })
      .where(eq(workflows.id, mine!.id));
    assert.deepEqual((await loadWorkflowSource(db, withMine!))?.graph, graph('edited'));
  } finally {
    await database.destroy();
  }
});
