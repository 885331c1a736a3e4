import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';
import { MIGRATIONS_DIR, openDb, runMigrations, workflows, segments, projects } from '@framesmith/db';
import { openTestDb, testDbKind } from '@framesmith/db/testing';

describe(`database (${testDbKind()})`, () => {
  test('migrations applied twice are a no-op and built-ins are seeded once', async () => {
    const db = await openTestDb();
    try {
      await runMigrations(db);
      await runMigrations(db);
      const rows = await db.db.select().from(workflows);
      assert.equal(rows.filter((r) => r.builtin).length, BUILTIN_WORKFLOWS.length);
      const applied = await db.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));
      assert.equal((applied.rows[0] as { n: number }).n, files.length, 'each migration applied once');
    } finally {
      await db.destroy();
    }
  });

  test('status and error_code columns refuse unknown values', async () => {
    const db = await openTestDb();
    try {
      const [p] = await db.db.insert(projects).values({ name: 'p' }).returning();
      await assert.rejects(
        db.db
          .insert(segments)
          .values({ projectId: p!.id, position: 0, prompt: 'x', status: 'bogus' as never }),
      );
      await assert.rejects(
        db.db.insert(segments).values({ projectId: p!.id, position: 0, prompt: 'x', errorCode: 'NOPE' }),
      );
      await db.db
        .insert(segments)
        .values({ projectId: p!.id, position: 0, prompt: 'x', errorCode: 'COMFYUI_TIMEOUT' });
      const idx = await db.db.execute(
        sql`select indexname from pg_indexes where tablename = 'segments' and indexdef like '%error_code%'`,
      );
      assert.ok(idx.rows.length >= 1, 'segments.error_code is indexed');
    } finally {
      await db.destroy();
    }
  });
});

describe('PGlite data directory lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'framesmith-lock-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a second process on the same directory exits at once naming the holder', async () => {
    const db = await openDb({ dataDir: dir });
    try {
      const script = `import { openDb } from '@framesmith/db';
        try { await openDb({ dataDir: ${JSON.stringify(dir)} }); console.log('OPENED'); }
        catch (e) { console.log(e.message); process.exit(3); }`;
      const started = Date.now();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(r.status, 3, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`pid ${process.pid}`));
      assert.match(r.stdout, /in use by another Framesmith process/);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await db.close();
    }
    // Released on close: it opens again.
    const again = await openDb({ dataDir: dir });
    await again.close();
  });
});
