import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.ts';
import { PgListener } from './pg-listener.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { seedBuiltins } from './seed.ts';

export type Db = ReturnType<typeof drizzlePg<typeof schema>>;

/** Runs a raw SQL text; used by pg-boss and LISTEN/NOTIFY, which speak SQL, not drizzle. */
export type ExecuteSql = (
  text: string,
  values?: unknown[],
) => Promise<{ rows: unknown[] } | { rows: unknown[] }[]>;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Listens on a NOTIFY channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Sends a notice to this system's listeners on `channel`, like `notify`, for channels only our
   * code sends on (never a trigger), whose notices need no order with the database's own. The
   * embedded database has one process, so it delivers in-process and spares its single
   * connection a query (live events: one per progress step of every running segment).
   */
  publish(channel: string, payload: string): Promise<void>;
  /**
   * `publish` of several notices at once, delivered in this order (one statement on PostgreSQL).
   * As NOTIFY requires: each payload under 8000 bytes, or none is sent; and distinct, since
   * PostgreSQL delivers identical notices of one statement once.
   */
  publishMany(channel: string, payloads: readonly string[]): Promise<void>;
  /**
   * Called when the notification connection was lost and re-established (PostgreSQL only):
   * notifications sent meanwhile were missed, so caches must be dropped and streams resynced.
   */
  onListenReset?(callback: () => void): () => void;
  /** For pg-boss: a connection string (PostgreSQL) or an executeSql adapter (PGlite). */
  queueConnection: { connectionString: string } | { executeSql: ExecuteSql };
  /** The PGlite instance in embedded mode (tests dump it as a template). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../drizzle');

export interface OpenDbOptions {
  /** `postgres://…` for a server, otherwise PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; omitted means in memory. */
  dataDir?: string;
  /** A PGlite data dump to start from (tests). */
  loadDataDir?: Blob | File;
  /** Apply migrations and seed built-ins (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export async function openDb(options: OpenDbOptions = {}): Promise<Database> {
  const database = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : await openPglite(options.dataDir, options.loadDataDir);
  if (options.migrate !== false) {
    try {
      await runMigrations(database);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return database;
}

/** Applies pending migrations (a no-op when all are applied), then upserts the built-in workflows. */
export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
  } else {
    await migratePg(database.db, { migrationsFolder: MIGRATIONS_DIR });
  }
  await seedBuiltins(database.db);
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema, casing: 'snake_case' });
  const listener = new PgListener(url);
  const notify = async (channel: string, payload: string) => {
    await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
  };

  return {
    kind: 'postgres',
    db,
    queueConnection: { connectionString: url },
    listen: (channel, onPayload) => listener.listen(channel, onPayload),
    onListenReset: (callback) => listener.onReset(callback),
    notify,
    // Other processes listen too: a published notice is a NOTIFY like any other.
    publish: notify,
    async publishMany(channel, payloads) {
      if (payloads.length === 0) return;
      // One statement: its notices are sent in the array's order, as one transaction's are.
      await pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, payloads]);
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * PGlite's default 128 MB of shared buffers is zero-filled at start, so it all counts as resident
 * memory; an embedded, single-user database works well with 32 MB.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

async function openPglite(
  dataDir: string | undefined,
  loadDataDir: Blob | File | undefined,
): Promise<Database> {
  let lock: DataDirLock | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDataDirLock(dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir ? join(dataDir, 'pg') : undefined, {
      ...(loadDataDir ? { loadDataDir } : {}),
      startParams: PGLITE_START_PARAMS,
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const db = drizzlePglite(client, { schema, casing: 'snake_case' }) as unknown as Db;
  const published = new Set<{ channel: string; onPayload: (payload: string) => void }>();
  const publishMany = async (channel: string, payloads: readonly string[]) => {
    if (client.closed) throw new Error('the database is closed');
    // Delivered after the caller's turn, as a notice would be, in the order published.
    for (const payload of payloads) {
      for (const s of published) {
        if (s.channel !== channel) continue;
        queueMicrotask(() => {
          try {
            s.onPayload(payload);
          } catch {
            // A listener's failure is its own, as with a notice from the database.
          }
        });
      }
    }
  };
  const executeSql: ExecuteSql = async (text, values) => {
    // The queue's statements run on this thread. Each first lets whatever I/O is ready be handled:
    // a supervise pass is a dozen statements (~25 ms) that would otherwise follow one another
    // without a break, holding up every HTTP reply, child process and timer meanwhile.
    await new Promise(setImmediate);
    if (values && values.length > 0) return client.query(text, values as never[]);
    // pg-boss sends multi-statement scripts without parameters; like pg, return every result.
    const results = await client.exec(text);
    return results.length === 1 ? results[0]! : results;
  };
  return {
    kind: 'pglite',
    db,
    pglite: client,
    queueConnection: { executeSql },
    async listen(channel, onPayload) {
      const unsub = await client.listen(channel, onPayload);
      const subscriber = { channel, onPayload };
      published.add(subscriber);
      return async () => {
        published.delete(subscriber);
        await unsub();
      };
    },
    async notify(channel, payload) {
      await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async publish(channel, payload) {
      await publishMany(channel, [payload]);
    },
    publishMany,
    async close() {
      try {
        if (!client.closed) await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}
