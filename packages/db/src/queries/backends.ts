import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../open-db.ts';
import { backends } from '../schema.ts';

/**
 * ComfyUI servers known to the system: the ones in COMFYUI_URL (source 'env') and the ones
 * added through the API (source 'api'). Enabled and draining flags live here for both, so every
 * process's pool agrees.
 */

export type BackendRow = typeof backends.$inferSelect;
export type BackendSource = 'env' | 'api';

export async function listBackends(db: Db): Promise<BackendRow[]> {
  return db.select().from(backends).orderBy(backends.createdAt, backends.name);
}

export async function getBackend(db: Db, id: string): Promise<BackendRow | undefined> {
  const [row] = await db.select().from(backends).where(eq(backends.id, id));
  return row;
}

export async function getBackendByName(db: Db, name: string): Promise<BackendRow | undefined> {
  const [row] = await db.select().from(backends).where(eq(backends.name, name));
  return row;
}

/** Inserts a backend; returns undefined when the name is taken. */
export async function insertBackend(
  db: Db,
  values: { name: string; url: string; source?: BackendSource; enabled?: boolean; draining?: boolean },
): Promise<BackendRow | undefined> {
  const [row] = await db.insert(backends).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateBackend(
  db: Db,
  id: string,
  patch: { url?: string; enabled?: boolean; draining?: boolean },
): Promise<BackendRow | undefined> {
  const [row] = await db
    .update(backends)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(backends.id, id))
    .returning();
  return row;
}

export async function deleteBackend(db: Db, id: string): Promise<BackendRow | undefined> {
  const [row] = await db.delete(backends).where(eq(backends.id, id)).returning();
  return row;
}

/**
 * Records the COMFYUI_URL servers as source 'env': new ones are inserted, a changed URL is updated,
 * and env rows no longer listed are removed. Enabled/draining flags set at run time are kept.
 * A name already used by an API-added backend is left to that backend.
 */
export async function syncEnvBackends(
  db: Db,
  list: readonly { name: string; url: string }[],
): Promise<BackendRow[]> {
  for (const b of list) {
    await db
      .insert(backends)
      .values({ name: b.name, url: b.url, source: 'env' })
      .onConflictDoUpdate({
        target: backends.name,
        set: { url: b.url, updatedAt: new Date() },
        setWhere: sql`${backends.source} = 'env'`,
      });
  }
  const names = list.map((b) => b.name);
  await db
    .delete(backends)
    .where(
      names.length > 0
        ? and(eq(backends.source, 'env'), notInArray(backends.name, names))
        : eq(backends.source, 'env'),
    );
  return listBackends(db);
}
