import type { RenderJob, Segment } from '@framesmith/core';
import {
  type AssetSummary,
  type Database,
  type SegmentRow,
  getSegment,
  serializeSegment,
} from '@framesmith/db';
import { findAsset } from '@framesmith/db/queries/assets';
import {
  getRenderJob,
  type RenderJobRow,
  type StatusTally,
  renderJobResource,
} from '@framesmith/db/queries/render-jobs';
import type { Logger } from './logger.ts';

/**
 * Live events (ARCHITECTURE §10). Every change of a segment or a render job is announced with
 * PostgreSQL NOTIFY, so it crosses processes; each api process LISTENs once and fans events out
 * to its clients. A notice carries the whole resource when it fits NOTIFY's 8000-byte limit,
 * otherwise only ids and the receiving side reads the row. The embedded database, one process
 * by its lock, delivers them in-process (`Database.publish`), sparing its single connection.
 */
export const EVENTS_CHANNEL = 'framesmith_events';
const MAX_NOTIFY_BYTES = 7900;

export type LiveEvent =
  | { event: 'segment'; projectId: string; data: Segment }
  | { event: 'render-job'; projectId: string; data: RenderJob };

interface Notice {
  kind: LiveEvent['event'];
  id: string;
  projectId: string;
  data?: Segment | RenderJob;
}

function payloadOf(notice: Notice): string {
  const payload = JSON.stringify(notice);
  if (Buffer.byteLength(payload) <= MAX_NOTIFY_BYTES) return payload;
  return JSON.stringify({ kind: notice.kind, id: notice.id, projectId: notice.projectId });
}

async function notify(database: Database, notices: readonly Notice[], logger?: Logger): Promise<void> {
  if (notices.length === 0) return;
  try {
    await database.publishMany(EVENTS_CHANNEL, notices.map(payloadOf));
  } catch (err) {
    // A lost notice is caught up by clients when they reconnect; it must not fail the work.
    logger?.warn(
      { err, kind: notices[0]!.kind, ids: notices.map((n) => n.id) },
      'could not publish live events',
    );
  }
}

/** A segment's event notice; `output` saves a read when the caller has the asset at hand. */
async function segmentNotice(
  database: Database,
  row: SegmentRow,
  output?: AssetSummary | null,
): Promise<Notice> {
  let asset = output ?? null;
  if (output === undefined && row.outputAssetId) {
    const a = await findAsset(database.db, row.outputAssetId).catch(() => null);
    asset = a ? { id: a.id, durationSeconds: a.durationSeconds, width: a.width, height: a.height } : null;
  }
  return { kind: 'segment', id: row.id, projectId: row.projectId, data: serializeSegment(row, asset) };
}

/** Announces a segment's new state. `output` saves a read when the caller has the asset at hand. */
export async function publishSegment(
  database: Database,
  row: SegmentRow,
  output?: AssetSummary | null,
  logger?: Logger,
): Promise<void> {
  await notify(database, [await segmentNotice(database, row, output)], logger);
}

/** Announces the new states of many segments, in this order, with one notice statement. */
export async function publishSegments(database: Database, rows: readonly SegmentRow[], logger?: Logger) {
  const notices: Notice[] = [];
  for (const row of rows) notices.push(await segmentNotice(database, row));
  await notify(database, notices, logger);
}

/** Announces a render job's state. `states`, its segments' states just read, save reading them again. */
export async function publishRenderJob(
  database: Database,
  row: RenderJobRow,
  logger?: Logger,
  tally?: readonly StatusTally[],
): Promise<void> {
  const data = await renderJobResource(database.db, row, tally).catch(() => undefined);
  await notify(database, [{ kind: 'render-job', id: row.id, projectId: row.projectId, data }], logger);
}

type Listener = (event: LiveEvent) => void;

function parseNotice(payload: string): Notice | null {
  try {
    return JSON.parse(payload) as Notice;
  } catch {
    return null;
  }
}

function eventOf(notice: Notice, data: Segment | RenderJob): LiveEvent {
  return notice.kind === 'segment'
    ? { event: 'segment', projectId: notice.projectId, data: data as Segment }
    : { event: 'render-job', projectId: notice.projectId, data: data as RenderJob };
}

/** One LISTEN per process, fanned out to subscribers filtered by project. */
export class EventHub {
  private readonly database: Database;
  private readonly logger: Logger | undefined;
  private readonly listeners = new Map<Listener, string | null>();
  private readonly resetListeners = new Set<() => void>();
  private unlisten: (() => Promise<void>) | null = null;
  private stopResets: (() => void) | null = null;
  /**
   * Notices are dispatched one after another: a large one is read back from the database first,
   * and a later notice must never overtake it, or clients would be left showing an older state.
   */
  private dispatching: Promise<void> = Promise.resolve();
  /** Notices waiting in `dispatching`. With none, one that carries its resource goes out at once. */
  private queued = 0;

  private constructor(database: Database, logger?: Logger) {
    this.database = database;
    this.logger = logger;
  }

  static async start(database: Database, logger?: Logger): Promise<EventHub> {
    const hub = new EventHub(database, logger);
    hub.unlisten = await database.listen(EVENTS_CHANNEL, (payload) => {
      const notice = parseNotice(payload);
      if (!notice) return;
      // In this very turn, before whatever the publisher does next (on the embedded database,
      // its next query would hold the thread first): nothing is ahead of it to keep order with.
      if (hub.queued === 0 && notice.data) {
        hub.deliver(eventOf(notice, notice.data));
        return;
      }
      hub.queued++;
      hub.dispatching = hub.dispatching
        .then(() => hub.dispatch(notice))
        .catch((err) => logger?.warn({ err }, 'live event dispatch failed'))
        .finally(() => {
          hub.queued--;
        });
    });
    // PostgreSQL: the LISTEN connection was lost and is back; whatever was notified meanwhile is gone.
    hub.stopResets = database.onListenReset?.(() => hub.reset()) ?? null;
    return hub;
  }

  /**
   * Called when events may have been missed (the notification connection was lost): each
   * subscriber must resync, e.g. an SSE stream ends so its browser reconnects and refetches.
   */
  onReset(callback: () => void): () => void {
    this.resetListeners.add(callback);
    return () => {
      this.resetListeners.delete(callback);
    };
  }

  private reset(): void {
    this.logger?.warn(
      { subscribers: this.resetListeners.size },
      'live events may have been missed; resyncing',
    );
    for (const callback of [...this.resetListeners]) {
      try {
        callback();
      } catch (err) {
        this.logger?.warn({ err }, 'live event reset listener failed');
      }
    }
  }

  /** `projectId` null receives every project's events. Returns the unsubscribe function. */
  subscribe(projectId: string | null, listener: Listener): () => void {
    this.listeners.set(listener, projectId);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private async dispatch(notice: Notice): Promise<void> {
    if (!this.hasSubscribers(notice.projectId)) return;
    let data: Segment | RenderJob;
    try {
      data =
        notice.data ??
        (notice.kind === 'segment'
          ? await getSegment(this.database.db, notice.id)
          : await getRenderJob(this.database.db, notice.id));
    } catch {
      return; // deleted meanwhile
    }
    this.deliver(eventOf(notice, data));
  }

  private hasSubscribers(projectId: string): boolean {
    for (const p of this.listeners.values()) if (p === null || p === projectId) return true;
    return false;
  }

  private deliver(event: LiveEvent): void {
    for (const [listener, p] of [...this.listeners]) {
      if (p !== null && p !== event.projectId) continue;
      try {
        listener(event);
      } catch (err) {
        this.logger?.warn({ err }, 'live event listener failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopResets?.();
    this.stopResets = null;
    this.listeners.clear();
    this.resetListeners.clear();
    await this.unlisten?.();
    this.unlisten = null;
  }
}
