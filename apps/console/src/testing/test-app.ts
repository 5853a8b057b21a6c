import type { INestApplication } from '@nestjs/common';
import { pino } from 'pino';
import { createApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { BACKENDS, type TempDatabase } from './temp-db.js';

export const ADMIN_PASSWORD = 'admin-password-1';

export interface TestApp {
  app: INestApplication;
  url: string;
  /** Bearer token of the initial admin. */
  adminToken: string;
  /** fetch against the app with JSON handling; `token` adds a bearer header. */
  // Test-only: response bodies are arbitrary JSON that assertions walk freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Creates a user with `role` and returns a bearer token for it. */
  tokenFor(role: 'admin' | 'operator' | 'viewer', name?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole console on 127.0.0.1:0 over a temporary PGlite (or the test PostgreSQL when
 * backend is 'postgres'); close() stops it and removes the data.
 */
export async function startTestApp(backend: 'pglite' | 'postgres' = 'pglite'): Promise<TestApp> {
  const b = BACKENDS.find((x) => x.name === backend)!;
  const temp: TempDatabase = await b.open();
  // The temp database is migrated; the app opens its own handle to the same place.
  const url = temp.db.kind === 'postgres' ? await currentUrl(temp) : undefined;
  await temp.db.close();
  const argv = ['--data-dir', temp.dataDir, '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--log-level', 'silent', ...(url ? ['--database-url', url] : [])];
  const config = loadConfig(argv, { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD });
  let app: INestApplication;
  try {
    app = await createApp(config, pino({ level: 'silent' }));
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await temp.dispose();
    throw err;
  }
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call: TestApp['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const login = await call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const tok = await call('POST', '/api/v1/tokens', { body: { name: 'test-admin' }, headers: { cookie } });
  if (tok.status !== 201) throw new Error(`test app: could not create admin token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const adminToken = tok.body.token as string;
  let n = 0;
  return {
    app,
    url: base,
    adminToken,
    call,
    async tokenFor(role, name) {
      const username = name ?? `${role}-${++n}`;
      const u = await call('POST', '/api/v1/users', { token: adminToken, body: { username, password: 'password-123', role } });
      if (u.status !== 201) throw new Error(`test app: could not create user: ${u.status} ${JSON.stringify(u.body)}`);
      const t = await call('POST', '/api/v1/tokens', { token: adminToken, body: { name: `t-${username}`, username } });
      return t.body.token as string;
    },
    async close() {
      await app.close().catch(() => undefined);
      await temp.dispose();
    },
  };
}

async function currentUrl(temp: TempDatabase): Promise<string> {
  const rows = await temp.db.sql.query<{ d: string }>('SELECT current_database() AS d');
  const u = new URL(process.env['BERTH_TEST_DATABASE_URL']!);
  u.pathname = `/${rows[0]!.d}`;
  return u.toString();
}
