import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Database } from '@framesmith/db';

/** The channel migration 0001's triggers notify with a project id on every change to a project view. */
export const PROJECT_CHANGED_CHANNEL = 'framesmith_project_changed';

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
  #unsubscribe: (() => Promise<void>) | null = null;

  private constructor(options: ProjectViewCacheOptions) {
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#maxEntries = options.maxEntries ?? 200;
    this.#now = options.now ?? (() => performance.now());
  }

  static async start(database: Database, options: ProjectViewCacheOptions = {}): Promise<ProjectViewCache> {
    const cache = new ProjectViewCache(options);
    cache.#unsubscribe = await database.listen(PROJECT_CHANGED_CHANNEL, (projectId) =>
      cache.invalidate(projectId),
    );
    return cache;
  }

  /** The cached view, or one freshly loaded (concurrent misses share one load). */
  async get(projectId: string, load: () => Promise<unknown>): Promise<CachedView> {
    if (this.#ttlMs <= 0) return toCachedView(await load());
    const entry = this.#entries.get(projectId);
    if (entry) {
      if (this.#now() - entry.storedAt < this.#ttlMs) return entry;
      this.#entries.delete(projectId);
    }
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
