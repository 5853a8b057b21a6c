import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DatabaseService } from '../database/database.service.js';

/** A migrated, empty database for one test; `dispose()` removes every trace of it. */
export interface TempDatabase {
  db: DatabaseService;
  dataDir: string;
  dispose(): Promise<void>;
}

/** PGlite in a fresh temporary directory. */
export async function tempPglite(): Promise<TempDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-console-test-'));
  try {
    const db = await DatabaseService.open({ dataDir });
    await db.migrate();
    return {
      db,
      dataDir,
      async dispose() {
        await db.close().catch(() => undefined);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Skip reason for PostgreSQL tests, or false when BERTH_TEST_DATABASE_URL is set. */
export function postgresSkip(): string | false {
  return process.env['BERTH_TEST_DATABASE_URL'] ? false : 'BERTH_TEST_DATABASE_URL is unset (run scripts/start-postgres.sh)';
}

/** A fresh database on the test PostgreSQL server, dropped by `dispose()`. */
export async function tempPostgres(): Promise<TempDatabase> {
  const base = process.env['BERTH_TEST_DATABASE_URL'];
  if (!base) throw new Error('BERTH_TEST_DATABASE_URL is unset');
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-console-test-'));
  const drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const db = await DatabaseService.open({ dataDir, databaseUrl: url.toString() });
    await db.migrate();
    return {
      db,
      dataDir,
      async dispose() {
        await db.close().catch(() => undefined);
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/** Runs `fn` against PGlite and, when configured, PostgreSQL. */
export const BACKENDS: ReadonlyArray<{ name: string; skip: () => string | false; open: () => Promise<TempDatabase> }> = [
  { name: 'pglite', skip: () => false, open: tempPglite },
  { name: 'postgres', skip: postgresSkip, open: tempPostgres },
];
