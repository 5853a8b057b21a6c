import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { ConsoleError, errorMessage } from '../common/errors.js';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, pendingMigrations, type MigrationResult } from './migrate.js';
import { PgliteSql, PostgresSql, type SqlClient } from './sql.js';

export interface DatabaseOptions {
  /** PostgreSQL server URL; when absent, PGlite with its data in `<dataDir>/db`. */
  databaseUrl?: string;
  dataDir: string;
  migrationsDir?: string;
}

/**
 * The one database handle of the console: a Prisma client (for repositories only) and the
 * raw SQL client beneath it (migrations, health, LISTEN/NOTIFY), for PGlite or PostgreSQL.
 * Lifecycle: `open()` connects, `migrate()` applies pending migrations, `close()` ends both.
 */
export class DatabaseService {
  private closed = false;

  private constructor(
    readonly prisma: PrismaClient,
    readonly sql: SqlClient,
    private readonly migrationsDir: string,
  ) {}

  get kind(): 'pglite' | 'postgres' {
    return this.sql.kind;
  }

  static async open(opts: DatabaseOptions): Promise<DatabaseService> {
    const migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
    if (opts.databaseUrl !== undefined) {
      const sql = PostgresSql.open(opts.databaseUrl);
      const prisma = new PrismaClient({ adapter: new PrismaPg(sql.pool) });
      return new DatabaseService(prisma, sql, migrationsDir);
    }
    const dir = join(opts.dataDir, 'db');
    let sql: PgliteSql;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      sql = await PgliteSql.open(dir);
    } catch (err) {
      throw new ConsoleError('database_unavailable', 'unavailable', `failed to open embedded database ${dir}: ${errorMessage(err)}`, { cause: err });
    }
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(sql.db) });
    return new DatabaseService(prisma, sql, migrationsDir);
  }

  async migrate(): Promise<MigrationResult> {
    return migrate(this.sql, await loadMigrations(this.migrationsDir));
  }

  /** Readiness: the database answers and no migration on disk is pending. */
  async readiness(): Promise<{ ok: boolean; reason?: string }> {
    try {
      await this.sql.query('SELECT 1');
      const pending = await pendingMigrations(this.sql, await loadMigrations(this.migrationsDir));
      return pending.length === 0 ? { ok: true } : { ok: false, reason: `pending migrations: ${pending.join(', ')}` };
    } catch (err) {
      return { ok: false, reason: `database unreachable: ${errorMessage(err)}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.prisma.$disconnect().catch(() => undefined);
    await this.sql.close();
  }
}
