import { parseArgs } from 'node:util';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ConsoleError } from '../common/errors.js';

/** Validated console configuration; built once at boot from argv and the environment. */
export interface ConsoleConfig {
  dataDir: string;
  listen: { host: string; port: number };
  /** Where the agents module serves gRPC; passed through, not used by the REST layer. */
  grpcListen: { host: string; port: number };
  /** PostgreSQL server instead of the embedded PGlite database in dataDir. */
  databaseUrl?: string;
  /** AES-256-GCM key for registry credentials (32 bytes, created on first start). */
  secretKeyFile: string;
  /** Initial admin password (BERTH_ADMIN_PASSWORD); generated and printed when absent. */
  adminPassword?: string;
  sessionTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Injection token for ConsoleConfig. */
export const CONSOLE_CONFIG = Symbol.for('berth.console.config');

export function parseHostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new ConsoleError('invalid_config', 'invalid_argument', `failed to parse ${flag} ${JSON.stringify(value)}: want HOST:PORT with a port 0-65535`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const raw = z.strictObject({
  'data-dir': z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
  listen: z.string(),
  'grpc-listen': z.string(),
  'database-url': z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  'secret-key-file': z.string().refine(isAbsolute, 'must be an absolute path').optional(),
  'session-ttl': z.coerce.number().int().min(60).max(30 * 86400),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export const USAGE = `usage: berth-console [--data-dir DIR] [--listen HOST:PORT] [--grpc-listen HOST:PORT]
                     [--database-url postgresql://...] [--secret-key-file FILE]
                     [--session-ttl SECONDS] [--log-level info]
environment: BERTH_ADMIN_PASSWORD (initial admin password; printed once when unset)`;

/** Parses and validates flags; throws a ConsoleError naming the bad flag. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ConsoleConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string', default: '/var/lib/berth-console' },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        'grpc-listen': { type: 'string', default: '127.0.0.1:8081' },
        'database-url': { type: 'string' },
        'secret-key-file': { type: 'string' },
        'session-ttl': { type: 'string', default: String(12 * 3600) },
        'log-level': { type: 'string', default: 'info' },
      },
    }));
  } catch (err) {
    throw new ConsoleError('invalid_config', 'invalid_argument', `failed to parse command line: ${(err as Error).message}`, { cause: err });
  }
  const r = raw.safeParse(values);
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = issue?.path[0] === undefined ? '' : `--${String(issue.path[0])}`;
    throw new ConsoleError('invalid_config', 'invalid_argument', `failed to parse ${flag}: ${issue?.message ?? 'invalid'}`);
  }
  const v = r.data;
  const adminPassword = env['BERTH_ADMIN_PASSWORD'] || undefined;
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConsoleError('invalid_config', 'invalid_argument', 'failed to parse BERTH_ADMIN_PASSWORD: must be at least 8 characters');
  }
  return {
    dataDir: v['data-dir'],
    listen: parseHostPort('--listen', v.listen),
    grpcListen: parseHostPort('--grpc-listen', v['grpc-listen']),
    ...(v['database-url'] === undefined ? {} : { databaseUrl: v['database-url'] }),
    secretKeyFile: v['secret-key-file'] ?? join(v['data-dir'], 'registry-secrets.key'),
    ...(adminPassword === undefined ? {} : { adminPassword }),
    sessionTtlSeconds: v['session-ttl'],
    logLevel: v['log-level'],
  };
}
