import { conflict, invalid, notFound } from '@framesmith/core';
import type { Database } from '@framesmith/db';
import {
  type BackendRow,
  deleteBackend,
  getBackend,
  insertBackend,
  listBackends,
  syncEnvBackends,
  updateBackend,
} from '@framesmith/db/queries/backends';
import { isUuid } from '@framesmith/db/queries/common';

/**
 * ComfyUI backends at run time. The backends table is the truth: the COMFYUI_URL servers (source
 * 'env') plus the ones added through the API, each with its enabled and draining flags. Every
 * process applies the table to its own pool, and a change made in one process is announced with
 * NOTIFY so the others (workers especially) apply it too.
 */

export const BACKENDS_CHANNEL = 'framesmith_backends';

/** The pool operations the registry drives (the comfyui BackendPool has them all). */
export interface ManagedPool {
  snapshot(): readonly { name: string; url: string }[];
  add(config: { name: string; url: string }): void;
  remove(name: string): void;
  setEnabled(name: string, enabled: boolean): void;
  setDraining(name: string, draining: boolean): void;
  checkNow?(name?: string): Promise<unknown>;
}

export interface BackendRegistryOptions {
  database: Database;
  pool: ManagedPool;
  /** The COMFYUI_URL servers as the pool was built with them (names and URLs). */
  envBackends: readonly { name: string; url: string }[];
  onError?: (err: unknown) => void;
}

export interface BackendRegistry {
  /** Records the env backends, applies the table to the pool and follows changes from other processes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): Promise<BackendRow[]>;
  get(id: string): Promise<BackendRow>;
  create(input: { name: string; url: string; enabled?: boolean }): Promise<BackendRow>;
  update(id: string, patch: { url?: string; enabled?: boolean; draining?: boolean }): Promise<BackendRow>;
  remove(id: string): Promise<void>;
  /** Applies the table to this process's pool (after a change here or elsewhere). */
  reload(): Promise<void>;
}

/** A URL with any password replaced, for showing; the user name stays so people can tell them apart. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export function createBackendRegistry(options: BackendRegistryOptions): BackendRegistry {
  const { database, pool } = options;
  const { db } = database;
  let unlisten: (() => Promise<void>) | undefined;
  let reloading: Promise<void> | undefined;
  let again = false;

  async function apply(): Promise<void> {
    const rows = await listBackends(db);
    const wanted = new Map(rows.map((r) => [r.name, r]));
    for (const b of pool.snapshot()) {
      const row = wanted.get(b.name);
      // Removed elsewhere, or its address changed: running jobs keep their lease until they finish.
      if (!row || row.url !== b.url) pool.remove(b.name);
    }
    const present = new Set(pool.snapshot().map((b) => b.name));
    for (const row of rows) {
      if (!present.has(row.name)) pool.add({ name: row.name, url: row.url });
      pool.setEnabled(row.name, row.enabled);
      pool.setDraining(row.name, row.draining);
    }
  }

  /** One reload at a time; a request during a reload runs one more after it. */
  function reload(): Promise<void> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        again = false;
        await apply();
      } while (again);
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  async function changed(): Promise<void> {
    await reload();
    await database.notify(BACKENDS_CHANNEL, 'changed').catch(options.onError);
  }

  async function get(id: string): Promise<BackendRow> {
    const row = isUuid(id) ? await getBackend(db, id) : undefined;
    if (!row) throw notFound('Backend', id);
    return row;
  }

  return {
    async start() {
      await syncEnvBackends(db, options.envBackends);
      await reload();
      unlisten = await database.listen(BACKENDS_CHANNEL, () => {
        reload().catch(options.onError);
      });
    },
    async stop() {
      await unlisten?.();
      unlisten = undefined;
      await reloading?.catch(() => {});
    },
    list: () => listBackends(db),
    get,
    async create(input) {
      const row = await insertBackend(db, {
        name: input.name,
        url: input.url,
        source: 'api',
        enabled: input.enabled ?? true,
      });
      if (!row) throw conflict(`A backend named "${input.name}" already exists`, { field: 'name' });
      await changed();
      void pool.checkNow?.(row.name)?.catch?.(() => {});
      return row;
    },
    async update(id, patch) {
      const row = await get(id);
      if (patch.url !== undefined && row.source === 'env' && patch.url !== row.url) {
        throw invalid('url', 'this backend comes from COMFYUI_URL; change it there');
      }
      const updated = await updateBackend(db, id, patch);
      if (!updated) throw notFound('Backend', id);
      await changed();
      return updated;
    },
    async remove(id) {
      const row = await get(id);
      if (row.source === 'env') {
        throw conflict('This backend comes from COMFYUI_URL: remove it there, or disable or drain it here', {
          source: 'env',
        });
      }
      await deleteBackend(db, id);
      await changed();
    },
    reload,
  };
}
