import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import { projects, segments, workflows } from '@framesmith/db';
import { openTestDb, testDbKind } from '@framesmith/db/testing';

test(`a workflow a segment uses cannot be deleted underneath it (${testDbKind()})`, async () => {
  const db = await openTestDb();
  try {
    const [w] = await db.db
      .insert(workflows)
      .values({ name: 'mine', graph: { '1': { class_type: 'SaveVideo', inputs: {} } } })
      .returning();
    const [p] = await db.db.insert(projects).values({ name: 'p' }).returning();
    await db.db.insert(segments).values({ projectId: p!.id, position: 0, prompt: 'x', workflowId: w!.id });
    await assert.rejects(
      db.db.delete(workflows).where(eq(workflows.id, w!.id)),
      (err: Error & { cause?: { code?: string } }) => {
        const code = (err as { code?: string }).code ?? err.cause?.code;
        assert.ok(code === '23503' || code === '23001', `foreign key refusal, got ${code}`);
        return true;
      },
    );
  } finally {
    await db.destroy();
  }
});
