import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const PGLITE_SHARED_BUFFERS = '32MB';

/** Raw SQL on one connection inside a transaction (migrations, advisory locks). */
export interface SqlTx {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
}

/**
 * The raw-SQL side of the database, for what Prisma cannot express: migrations, advisory
 * locks, health pings and LISTEN/NOTIFY. Repositories use Prisma, not this.
 */
export interface SqlClient extends SqlTx {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding a session-level advisory lock (waiting for it), so one task at a time
   * runs across every process using this database.
   */
  withSessionLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class PgliteSql implements SqlClient {
  readonly kind = 'pglite';
  constructor(readonly db: PGlite) {}

  /**
   * Opens (creating on first use) the embedded database in `dataDir`. Memory: PGlite's WASM
   * heap never shrinks, and initdb on a fresh directory leaves ~350 MB of it touched for the
   * life of the process; so a fresh database is created, closed and opened again (RSS after
   * open: ~764 MB -> ~403 MB here). shared_buffers is 32 MB instead of PostgreSQL's 128 MB:
   * a fleet's desired state is a few MB, and the host's page cache backs the files anyway.
   */
  static async open(dataDir: string): Promise<PgliteSql> {
    const options = { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`] };
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await (await PGlite.create(dataDir, options)).close();
    return new PgliteSql(await PGlite.create(dataDir, options));
  }

  async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.db.query<R>(sql, params)).rows;
  }
  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }
  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({
        query: async <R extends object>(sql: string, params: unknown[] = []) => (await t.query<R>(sql, params)).rows,
        exec: async (script: string) => {
          await t.exec(script);
        },
      }),
    );
  }
  /** One process owns a PGlite directory, so in-process serialization is the whole lock. */
  private lockChain: Promise<unknown> = Promise.resolve();
  withSessionLock<T>(_key: number, fn: () => Promise<T>): Promise<T> {
    const run = this.lockChain.then(fn, fn);
    this.lockChain = run.catch(() => undefined);
    return run;
  }
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(channel, onPayload);
  }
  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

export class PostgresSql implements SqlClient {
  readonly kind = 'postgres';
  private readonly listeners: pg.Client[] = [];
  private closing = false;
  constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  static open(url: string, onIdleError: (err: Error) => void = () => undefined): PostgresSql {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection that dies (server restart, admin kill) must not crash the process;
    // the pool replaces it on the next checkout.
    pool.on('error', onIdleError);
    return new PostgresSql(pool, url);
  }

  async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[];
  }
  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }
  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R extends object>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
        exec: async (script: string) => {
          await client.query(script);
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  async withSessionLock<T>(key: number, fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    } finally {
      client.release();
    }
  }

  /**
   * A dedicated connection per subscription (pooled connections cannot hold LISTEN). If it
   * drops, it is re-established with backoff; notifications sent meanwhile are lost, so
   * listeners must treat events as hints and re-read (FleetEvents' contract).
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let current: pg.Client | undefined;
    const connect = async (): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (n) => {
        if (n.channel === channel) onPayload(n.payload ?? '');
      });
      client.on('error', () => undefined);
      client.on('end', () => {
        const i = this.listeners.indexOf(client);
        if (i >= 0) this.listeners.splice(i, 1);
        if (!stopped && !this.closing) void reconnect(250);
      });
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      this.listeners.push(client);
      current = client;
      return client;
    };
    const reconnect = async (delay: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, delay).unref());
      if (stopped || this.closing) return;
      await connect().catch(() => reconnect(Math.min(delay * 2, 10_000)));
    };
    await connect();
    return async () => {
      stopped = true;
      const c = current;
      current = undefined;
      if (c) await c.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.listeners.splice(0).map((c) => c.end().catch(() => undefined)));
    await this.pool.end();
  }
}
