import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS } from '../testing/temp-db.js';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, pendingMigrations } from './migrate.js';
import { DatabaseService } from './database.service.js';

for (const backend of BACKENDS) {
  test(`migrate(${backend.name}): records Prisma's bookkeeping with sha256 checksums and is idempotent`, { skip: backend.skip() }, async () => {
    const t = await backend.open();
    try {
      const migrations = await loadMigrations();
      const rows = await t.db.sql.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      assert.equal(rows.length, migrations.length);
      for (const [i, m] of migrations.entries()) {
        const file = await readFile(join(DEFAULT_MIGRATIONS_DIR, m.name, 'migration.sql'));
        assert.equal(rows[i]?.migration_name, m.name);
        assert.equal(rows[i]?.checksum, createHash('sha256').update(file).digest('hex'));
        assert.ok(rows[i]?.finished_at instanceof Date);
        assert.equal(rows[i]?.applied_steps_count, 1);
      }
      const again = await t.db.migrate();
      assert.deepEqual(again.applied, []);
      assert.equal(again.alreadyApplied.length, migrations.length);
      assert.deepEqual(await pendingMigrations(t.db.sql, migrations), []);
      assert.deepEqual(await t.db.readiness(), { ok: true });
    } finally {
      await t.dispose();
    }
  });

  test(`migrate(${backend.name}): every insert and update takes a larger global revision`, { skip: backend.skip() }, async () => {
    const t = await backend.open();
    try {
      const p = t.db.prisma;
      const n = await p.node.create({ data: { name: 'n1' } });
      const w = await p.workload.create({ data: { name: 'w1', spec: {}, replicas: 1, currentRevision: 1 } });
      assert.ok(w.revision > n.revision);
      const n2 = await p.node.update({ where: { id: n.id }, data: { unschedulable: true } });
      assert.ok(n2.revision > w.revision, `update must bump: ${n2.revision} <= ${w.revision}`);
      // Even a write that names an old revision cannot keep it.
      const n3 = await p.node.update({ where: { id: n.id }, data: { revision: n.revision } });
      assert.ok(n3.revision > n2.revision);
    } finally {
      await t.dispose();
    }
  });

  test(`migrate(${backend.name}): a migration edited after it was applied stops the start`, { skip: backend.skip() }, async () => {
    const t = await backend.open();
    const dir = await mkdtemp(join(tmpdir(), 'berth-migrations-'));
    try {
      await mkdir(join(dir, '20200101000000_one'));
      await writeFile(join(dir, '20200101000000_one', 'migration.sql'), 'CREATE TABLE "t_one" (id int);');
      const first = await migrate(t.db.sql, await loadMigrations(dir));
      assert.deepEqual(first.applied, ['20200101000000_one']);
      await writeFile(join(dir, '20200101000000_one', 'migration.sql'), 'CREATE TABLE "t_one" (id bigint);');
      await assert.rejects(migrate(t.db.sql, await loadMigrations(dir)), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'migration_modified');
        assert.match(err.message, /20200101000000_one was modified/);
        return true;
      });
      // A failing migration rolls back completely: no half-applied table, no bookkeeping row.
      await mkdir(join(dir, '20200102000000_bad'));
      await writeFile(join(dir, '20200101000000_one', 'migration.sql'), 'CREATE TABLE "t_one" (id int);');
      await writeFile(join(dir, '20200102000000_bad', 'migration.sql'), 'CREATE TABLE "t_two" (id int); SELECT no_such_function();');
      await assert.rejects(migrate(t.db.sql, await loadMigrations(dir)), /failed to apply migration 20200102000000_bad/);
      const left = await t.db.sql.query<{ t: string | null }>(`SELECT to_regclass('"t_two"')::text AS t`);
      assert.equal(left[0]?.t, null);
      const rows = await t.db.sql.query('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1', ['20200102000000_bad']);
      assert.equal(rows.length, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await t.dispose();
    }
  });
}

test('migrate(postgres): replicas starting at once apply each migration exactly once', { skip: BACKENDS[1]?.skip() ?? 'no backend' }, async () => {
  const t = await BACKENDS[1]!.open();
  const url = process.env['BERTH_TEST_DATABASE_URL']!;
  try {
    // t already migrated its own database; point three more replicas at it, with a new migration.
    const dir = await mkdtemp(join(tmpdir(), 'berth-migrations-'));
    const base = await t.db.sql.query<{ d: string }>('SELECT current_database() AS d');
    const u = new URL(url);
    u.pathname = `/${base[0]!.d}`;
    await mkdir(join(dir, '20300101000000_counter'));
    await writeFile(join(dir, '20300101000000_counter', 'migration.sql'), 'CREATE TABLE "t_counter" (id int); INSERT INTO "t_counter" VALUES (1);');
    const replicas = await Promise.all([1, 2, 3].map(() => DatabaseService.open({ dataDir: t.dataDir, databaseUrl: u.toString(), migrationsDir: dir })));
    try {
      const results = await Promise.all(replicas.map((r) => r.migrate()));
      assert.equal(results.filter((r) => r.applied.length === 1).length, 1);
      const rows = await t.db.sql.query('SELECT * FROM "t_counter"');
      assert.equal(rows.length, 1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await t.dispose();
  }
});
