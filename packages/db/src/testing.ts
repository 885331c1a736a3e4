import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { MIGRATIONS_DIR, openDb, type Database } from './open-db.ts';

/**
 * Test databases (ARCHITECTURE §14): `TEST_DB=pglite` (default) loads each database from one
 * migrated template per run; `TEST_DB=postgres` creates a uniquely named database on the server
 * at TEST_DATABASE_URL and drops it afterwards.
 */
export type TestDbKind = 'pglite' | 'postgres';

export function testDbKind(): TestDbKind {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  /** postgres:// URL of this test's database (postgres kind only); lets another process open it. */
  url?: string;
  /** Closes and, for PostgreSQL, drops the database. */
  destroy(): Promise<void>;
}

const CACHE_DIR = resolve(process.cwd(), '.tmp');

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) {
    if (f.endsWith('.sql')) h.update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  h.update(readFileSync(join(MIGRATIONS_DIR, '../src/seed.ts')));
  h.update(readFileSync(join(MIGRATIONS_DIR, '../../core/src/builtin-workflows.ts')));
  return h.digest('hex').slice(0, 16);
}

let templateBytes: Promise<Uint8Array> | undefined;

/** One migrated PGlite dump per migration set, shared across test files through `.tmp/`. */
async function pgliteTemplate(): Promise<Uint8Array> {
  templateBytes ??= (async () => {
    const file = join(CACHE_DIR, `pglite-template-${migrationsHash()}.tar.gz`);
    if (existsSync(file)) return new Uint8Array(readFileSync(file));
    const db = await openDb({});
    const dump = await db.pglite!.dumpDataDir('gzip');
    await db.close();
    const bytes = new Uint8Array(await dump.arrayBuffer());
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    return bytes;
  })();
  return templateBytes;
}

export async function openTestDb(kind: TestDbKind = testDbKind()): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const bytes = await pgliteTemplate();
    const db = await openDb({ loadDataDir: new Blob([bytes as BlobPart]), migrate: false });
    return { ...db, destroy: () => db.close() };
  }
  const name = `framesmith_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString(), poolSize: 5 });
  return {
    ...db,
    url: url.toString(),
    async destroy() {
      await db.close();
      await dropDatabase(name);
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
