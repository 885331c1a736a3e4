import { sql } from 'drizzle-orm';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';
import type { Db } from './open-db.ts';
import { workflows } from './schema.ts';

/** Built-in workflows ship with the product: inserted, or brought up to date, at every migrate. */
export async function seedBuiltins(db: Db): Promise<void> {
  for (const w of BUILTIN_WORKFLOWS) {
    await db
      .insert(workflows)
      .values({ ...w, builtin: true })
      .onConflictDoUpdate({
        target: workflows.id,
        set: {
          name: w.name,
          description: w.description,
          category: w.category,
          graph: w.graph,
          bindings: w.bindings,
          builtin: true,
          updatedAt: sql`now()`,
        },
      });
  }
}
