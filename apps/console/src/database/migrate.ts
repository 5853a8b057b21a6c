import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleError, errorMessage } from '../common/errors.js';
import type { SqlClient, SqlTx } from './sql.js';

/** prisma/migrations at the repository root, from src/database or dist/database. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../../prisma/migrations/', import.meta.url));

/** Arbitrary but fixed: every console replica takes the same advisory lock. */
export const MIGRATION_LOCK_KEY = 0x62657274; // "bert"

export interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of the file, as Prisma stores it in _prisma_migrations.checksum. */
  checksum: string;
}

/** Prisma's own bookkeeping table, column for column, so `prisma migrate deploy` agrees. */
const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export async function loadMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    throw new ConsoleError('migrations_unreadable', 'internal', `failed to read migrations directory ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  names.sort();
  const out: Migration[] = [];
  for (const name of names) {
    const file = join(dir, name, 'migration.sql');
    const buf = await readFile(file).catch((err: unknown) => {
      throw new ConsoleError('migrations_unreadable', 'internal', `failed to read migration ${file}: ${errorMessage(err)}`, { cause: err });
    });
    out.push({ name, sql: buf.toString('utf8'), checksum: createHash('sha256').update(buf).digest('hex') });
  }
  return out;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock,
 * so replicas starting together serialize and the loser sees the work already done.
 * A migration whose file changed after it was applied, or one that failed earlier, stops
 * the start: a human must look.
 */
export async function migrate(sql: SqlClient, migrations: readonly Migration[]): Promise<MigrationResult> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(BOOKKEEPING);
    const rows = await tx.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
    const done = new Map<string, AppliedRow>();
    for (const r of rows) {
      if (r.rolled_back_at !== null) continue;
      if (r.finished_at === null) {
        throw new ConsoleError('migration_failed_before', 'failed_precondition', `failed to migrate database: migration ${r.migration_name} started earlier and never finished; resolve it by hand`);
      }
      done.set(r.migration_name, r);
    }
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const m of migrations) {
      const prev = done.get(m.name);
      if (prev) {
        if (prev.checksum !== m.checksum) {
          throw new ConsoleError('migration_modified', 'failed_precondition', `failed to migrate database: migration ${m.name} was modified after it was applied (checksum ${prev.checksum} in the database, ${m.checksum} on disk)`);
        }
        result.alreadyApplied.push(m.name);
        continue;
      }
      await applyOne(tx, m);
      result.applied.push(m.name);
    }
    return result;
  });
}

async function applyOne(tx: SqlTx, m: Migration): Promise<void> {
  const id = randomUUID();
  await tx.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)', [id, m.checksum, m.name]);
  try {
    await tx.exec(m.sql);
  } catch (err) {
    throw new ConsoleError('migration_failed', 'internal', `failed to apply migration ${m.name}: ${errorMessage(err)}`, { cause: err });
  }
  await tx.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}

/** Names of migrations on disk that the database has not finished. */
export async function pendingMigrations(sql: SqlClient, migrations: readonly Migration[]): Promise<string[]> {
  const exists = await sql.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
  if (exists[0]?.t == null) return migrations.map((m) => m.name);
  const rows = await sql.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
  const done = new Set(rows.map((r) => r.migration_name));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
