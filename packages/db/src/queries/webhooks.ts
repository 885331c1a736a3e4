import { createHash } from 'node:crypto';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../open-db.ts';
import { webhookDeliveries, webhooks } from '../schema.ts';

/** Webhooks and their deliveries. Delivery state changes are guarded (only a pending row moves). */

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewWebhook {
  url: string;
  secret: string;
  events: string[];
  format?: string;
  enabled?: boolean;
  description?: string;
}

export async function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return db.select().from(webhooks).orderBy(webhooks.createdAt, webhooks.id);
}

export async function getWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id));
  return row;
}

export async function insertWebhook(db: Db, values: NewWebhook): Promise<WebhookRow> {
  const [row] = await db.insert(webhooks).values(values).returning();
  return row!;
}

export async function updateWebhook(
  db: Db,
  id: string,
  patch: Partial<NewWebhook>,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(webhooks)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(webhooks.id, id))
    .returning();
  return row;
}

export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const deleted = await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
  return deleted.length > 0;
}

/** Enabled webhooks subscribed to `event` (events is a jsonb array of names). */
export async function webhooksForEvent(db: Db, event: string): Promise<WebhookRow[]> {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.enabled, true), sql`${webhooks.events} @> ${JSON.stringify([event])}::jsonb`));
}

/**
 * A delivery id derived from the webhook and the event's own key, so two processes that see the
 * same event (every listener gets every NOTIFY) insert one row, not two.
 */
export function deliveryIdFor(webhookId: string, eventKey: string): string {
  const h = createHash('sha256').update(`${webhookId}\u0000${eventKey}`).digest('hex');
  // RFC 9562 version 8 (custom) with the variant bits set.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Inserts a pending delivery; returns undefined when that delivery already exists. */
export async function insertDelivery(
  db: Db,
  values: { id: string; webhookId: string; event: string; payload: unknown },
): Promise<DeliveryRow | undefined> {
  const [row] = await db.insert(webhookDeliveries).values(values).onConflictDoNothing().returning();
  return row;
}

export async function getDelivery(
  db: Db,
  id: string,
): Promise<{ delivery: DeliveryRow; webhook: WebhookRow } | undefined> {
  const [row] = await db
    .select({ delivery: webhookDeliveries, webhook: webhooks })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(eq(webhookDeliveries.id, id));
  return row;
}

/** Records one try of a pending delivery. Returns the row, or undefined when it was no longer pending. */
export async function recordDeliveryAttempt(
  db: Db,
  id: string,
  result: { status: DeliveryStatus; statusCode: number | null; error: string | null },
): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({
      status: result.status,
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      deliveredAt: result.status === 'delivered' ? new Date() : null,
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')))
    .returning();
  return row;
}

/** Closes a pending delivery without a try (its webhook was disabled or its job gave up). */
export async function failPendingDelivery(
  db: Db,
  id: string,
  error: string,
): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: 'failed', lastError: error })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'pending')))
    .returning();
  return row;
}

/** Puts a finished delivery back to pending for a manual redelivery. */
export async function resetDelivery(db: Db, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: 'pending', deliveredAt: null })
    .where(and(eq(webhookDeliveries.id, id), inArray(webhookDeliveries.status, ['failed', 'delivered'])))
    .returning();
  return row;
}

export async function listDeliveries(
  db: Db,
  filter: { webhookId?: string; status?: DeliveryStatus; limit?: number } = {},
): Promise<DeliveryRow[]> {
  const conditions = [];
  if (filter.webhookId) conditions.push(eq(webhookDeliveries.webhookId, filter.webhookId));
  if (filter.status) conditions.push(eq(webhookDeliveries.status, filter.status));
  return db
    .select()
    .from(webhookDeliveries)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 500));
}

/** Pending deliveries older than `olderThan`: re-sent to the queue in case their job was never created. */
export async function stalePendingDeliveries(db: Db, olderThan: Date, limit = 100): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, 'pending'), lt(webhookDeliveries.createdAt, olderThan)))
    .orderBy(webhookDeliveries.createdAt)
    .limit(limit);
}

/**
 * The latest delivery of one of `events` to a webhook whose payload's data[field] equals value:
 * the state last announced for one subject (a backend, an error code).
 */
export async function latestDeliveryFor(
  db: Db,
  webhookId: string,
  events: readonly string[],
  field: string,
  value: string,
): Promise<{ event: string; createdAt: Date } | undefined> {
  const [row] = await db
    .select({ event: webhookDeliveries.event, createdAt: webhookDeliveries.createdAt })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.webhookId, webhookId),
        inArray(webhookDeliveries.event, [...events]),
        sql`${webhookDeliveries.payload} -> 'data' ->> ${field} = ${value}`,
      ),
    )
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(1);
  return row;
}

/** Runs `fn` in a transaction holding an advisory lock on `key`, so processes decide one at a time. */
export async function withAdvisoryLock<T>(db: Db, key: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
    return fn(tx as unknown as Db);
  });
}
