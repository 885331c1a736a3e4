import { eq } from 'drizzle-orm';
import { notFound } from '@framesmith/core';
import { assets } from '../schema.ts';
import { type Executor, isUuid } from './common.ts';

/** Stored files (clips, final videos, inputs): the rows that point into storage. */

export type AssetRow = typeof assets.$inferSelect;
export type AssetKind = 'clip' | 'final' | 'input';

export interface NewAsset {
  projectId: string;
  kind: AssetKind;
  storageKey: string;
  contentType: string;
  sizeBytes: number;
  durationSeconds?: number | null;
  width?: number | null;
  height?: number | null;
}

export async function insertAsset(db: Executor, asset: NewAsset): Promise<AssetRow> {
  const [row] = await db.insert(assets).values(asset).returning();
  return row!;
}

export async function findAsset(db: Executor, id: string): Promise<AssetRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(assets).where(eq(assets.id, id));
  return row ?? null;
}

/** The asset row, or NOT_FOUND (malformed ids included). */
export async function getAsset(db: Executor, id: string): Promise<AssetRow> {
  const row = await findAsset(db, id);
  if (!row) throw notFound('Asset', id);
  return row;
}

export async function deleteAssetRow(db: Executor, id: string): Promise<void> {
  await db.delete(assets).where(eq(assets.id, id));
}
