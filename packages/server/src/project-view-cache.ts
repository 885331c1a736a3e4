import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Database } from '@framesmith/db';

/** The channel migration 0001's triggers notify with a project id on every change to a project view. */
export const PROJECT_CHANGED_CHANNEL = 'framesmith_project_changed';

/** The channel of the cache's own round trips (see `sync`). */
export const PROJECT_VIEWS_SYNC_CHANNEL = 'framesmith_project_views_sync';

export interface CachedView {
  body: Buffer;
  etag: string;
  /** The body gzipped (made once, on the first request that accepts it), with its own ETag. */
  gzipped(): Promise<{ body: Buffer; etag: string }>;
}

const gzipAsync = promisify(gzip);

interface Entry extends CachedView {
  storedAt: number;
}

interface Load {
  promise: Promise<CachedView>;
  /** Set when the project changed while this load was reading: its result must not be kept. */
  stale: boolean;
}

export interface ProjectViewCacheOptions {
  /** A safety net: an entry is dropped after this long even if no change was heard. 0 turns caching off. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
  /** How long `sync` waits for its own notice before it drops every entry instead. Default 1000. */
  syncTimeoutMs?: number;
}

/**
 * Serialized `GET /api/projects/:id` responses, kept until the project changes. Database
 * triggers announce every committed change (from any process, any statement) on a NOTIFY
 * channel; an announcement drops the entry, and a load that overlapped a change is not kept.
 * The TTL bounds staleness should the notification connection ever be lost.
 */
export class ProjectViewCache {
  readonly #entries = new Map<string, Entry>();
  readonly #loads = new Map<string, Load>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #syncTimeoutMs: number;
  readonly #database: Database;
  /** Round trips under way: token → what to do when it comes back. */
  readonly #syncs = new Map<string, () => void>();
  #unsubscribe: (() => Promise<void>) | null = null;

  private constructor(database: Database, options: ProjectViewCacheOptions) {
    this.#database = database;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#maxEntries = options.maxEntries ?? 200;
    this.#now = options.now ?? (() => performance.now());
    this.#syncTimeoutMs = options.syncTimeoutMs ?? 1000;
  }

  static async start(database: Database, options: ProjectViewCacheOptions = {}): Promise<ProjectViewCache> {
    const cache = new ProjectViewCache(database, options);
    const stopChanges = await database.listen(PROJECT_CHANGED_CHANNEL, (projectId) =>
      cache.invalidate(projectId),
    );
    const stopSyncs = await database.listen(PROJECT_VIEWS_SYNC_CHANNEL, (token) =>
      cache.#syncs.get(token)?.(),
    );
    // Changes announced while the listening connection was down were missed.
    const stopResets = database.onListenReset?.(() => cache.invalidateAll());
    cache.#unsubscribe = async () => {
      stopResets?.();
      await stopChanges();
      await stopSyncs();
    };
    return cache;
  }

  /** The cached view if it is fresh, without waiting for anything; else undefined (then `get`). */
  peek(projectId: string): CachedView | undefined {
    if (this.#ttlMs <= 0) return undefined;
    const entry = this.#entries.get(projectId);
    return entry && this.#now() - entry.storedAt < this.#ttlMs ? entry : undefined;
  }

  /** The cached view, or one freshly loaded (concurrent misses share one load). */
  async get(projectId: string, load: () => Promise<unknown>): Promise<CachedView> {
    if (this.#ttlMs <= 0) return toCachedView(await load());
    const fresh = this.peek(projectId);
    if (fresh) return fresh;
    this.#entries.delete(projectId); // expired, if there was one
    const pending = this.#loads.get(projectId);
    if (pending && !pending.stale) return pending.promise;

    const current: Load = { stale: false, promise: null as unknown as Promise<CachedView> };
    current.promise = (async () => {
      try {
        const view = toCachedView(await load());
        if (!current.stale) this.#store(projectId, view);
        return view;
      } finally {
        if (this.#loads.get(projectId) === current) this.#loads.delete(projectId);
      }
    })();
    this.#loads.set(projectId, current);
    return current.promise;
  }

  /** Drops what is known of a project: its entry, and the result of any load under way. */
  invalidate(projectId: string): void {
    this.#entries.delete(projectId);
    const pending = this.#loads.get(projectId);
    if (pending) {
      pending.stale = true;
      this.#loads.delete(projectId);
    }
  }

  /** Drops every entry and the result of every load under way. */
  invalidateAll(): void {
    this.#entries.clear();
    for (const pending of this.#loads.values()) pending.stale = true;
    this.#loads.clear();
  }

  /**
   * Resolves once every change committed before the call has reached this cache. Change notices
   * arrive a moment after their commit, on the listening connection, in commit order; a notice of
   * our own sent now comes back after all of them. Writes await this before answering (app.ts), so
   * the next read shows the change, whichever route made it. If our notice does not come back in
   * time (the listening connection is lost), every entry is dropped instead.
   */
  async sync(): Promise<void> {
    // Nothing kept and nothing being read: nothing can be stale.
    if (this.#entries.size === 0 && this.#loads.size === 0) return;
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const cameBack = new Promise<boolean>((resolve) => {
      this.#syncs.set(token, () => resolve(true));
      timer = setTimeout(() => resolve(false), this.#syncTimeoutMs);
      timer.unref();
    });
    try {
      const sent = await this.#database.notify(PROJECT_VIEWS_SYNC_CHANNEL, token).then(
        () => true,
        () => false,
      );
      if (!sent || !(await cameBack)) this.invalidateAll();
    } finally {
      clearTimeout(timer);
      this.#syncs.delete(token);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    this.#entries.clear();
    await this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #store(projectId: string, view: CachedView): void {
    this.#entries.delete(projectId);
    this.#entries.set(projectId, { ...view, storedAt: this.#now() });
    // Map keeps insertion order: the first key is the least recently stored.
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}

function toCachedView(view: unknown): CachedView {
  const body = Buffer.from(JSON.stringify(view));
  const hash = createHash('sha1').update(body).digest('base64url');
  let compressed: Promise<{ body: Buffer; etag: string }> | undefined;
  return {
    body,
    etag: `"${hash}"`,
    gzipped() {
      compressed ??= gzipAsync(body).then((gz) => ({ body: gz, etag: `"${hash}-gz"` }));
      return compressed;
    },
  };
}

/** Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip' && coding?.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
