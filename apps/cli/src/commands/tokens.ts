import { expectPositionals, parseDuration, str } from '../args.js';
import { UsageError } from '../errors.js';
import { formatAge, formatOutput, renderTable } from '../output.js';
import { apiClient, seg, type Command } from './context.js';

/** An API token as the console lists it (never with its secret). */
export interface ApiToken {
  id: string;
  name: string;
  username: string;
  role: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

const ROLES = ['viewer', 'operator', 'admin'];
/** The console's bounds on expiresInSeconds. */
const MIN_EXPIRY_S = 60;
const MAX_EXPIRY_S = 10 * 365 * 86400;

/**
 * `--expires-in`: days on top of parseDuration's units (`30d`, `1d12h`, `90m`, plain
 * seconds) -> whole seconds within the console's bounds; UsageError otherwise.
 */
export function parseExpiresIn(raw: string): number {
  const m = /^(\d+)d(.*)$/.exec(raw);
  const rest = m ? m[2]! : raw;
  let ms = m ? Number(m[1]) * 86_400_000 : 0;
  try {
    if (!m || rest !== '') ms += parseDuration('expires-in', rest);
  } catch {
    throw new UsageError(`flag --expires-in wants a duration such as 30d, 12h or 90m, got ${JSON.stringify(raw)}`);
  }
  if (ms % 1000 !== 0) throw new UsageError(`flag --expires-in must be whole seconds, got ${JSON.stringify(raw)}`);
  const s = ms / 1000;
  if (s < MIN_EXPIRY_S || s > MAX_EXPIRY_S) throw new UsageError(`flag --expires-in must be between 60s and 3650d, got ${JSON.stringify(raw)}`);
  return s;
}

function tokenState(t: ApiToken, now: number): string {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return 'expired';
  return 'active';
}

const create: Command = {
  path: ['tokens', 'create'],
  usage: '--name NAME [--role viewer|operator|admin] [--expires-in 30d] [--user USER]',
  summary: 'create an API token (at most your role; --user needs admin); prints the secret once',
  flags: { name: { type: 'string' }, role: { type: 'string' }, 'expires-in': { type: 'string' }, user: { type: 'string' } },
  async run(ctx, args) {
    expectPositionals(args, [], 'tokens create');
    const name = str(args, 'name');
    if (name === undefined || name === '') throw new UsageError('tokens create: --name is required');
    const role = str(args, 'role');
    if (role !== undefined && !ROLES.includes(role)) throw new UsageError(`flag --role wants one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    const expiresIn = str(args, 'expires-in');
    const body = {
      name,
      ...(role === undefined ? {} : { role }),
      ...(expiresIn === undefined ? {} : { expiresInSeconds: parseExpiresIn(expiresIn) }),
      ...(str(args, 'user') === undefined ? {} : { username: str(args, 'user') }),
    };
    const client = await apiClient(ctx);
    const t = (await client.request<ApiToken & { token: string }>('POST', '/api/v1/tokens', { body })).body;
    ctx.io.stdout(
      formatOutput(ctx.globals.format, t, () =>
        `token/${t.name} created (id ${t.id}, user ${t.username}, role ${t.role}, expires ${t.expiresAt ?? 'never'})\n` +
        `secret (shown only now): ${t.token}\n`,
      ),
    );
  },
};

const ls: Command = {
  path: ['tokens', 'ls'],
  usage: '[--user USER]',
  summary: "list your API tokens (admins: everyone's, or one user's with --user)",
  flags: { user: { type: 'string' } },
  async run(ctx, args) {
    expectPositionals(args, [], 'tokens ls');
    const client = await apiClient(ctx);
    const items = await client.listAll<ApiToken>('/api/v1/tokens', { user: str(args, 'user') });
    const now = ctx.now();
    ctx.io.stdout(
      formatOutput(ctx.globals.format, { items }, () =>
        items.length === 0
          ? 'No tokens\n'
          : renderTable(
              ['ID', 'NAME', 'USER', 'ROLE', 'STATE', 'EXPIRES', 'LAST USED', 'AGE'],
              items.map((t) => [t.id, t.name, t.username, t.role, tokenState(t, now), t.expiresAt ?? '<never>', t.lastUsedAt ? `${formatAge(t.lastUsedAt, now)} ago` : '<never>', formatAge(t.createdAt, now)]),
            ),
      ),
    );
  },
};

const revoke: Command = {
  path: ['tokens', 'revoke'],
  usage: 'ID',
  summary: 'revoke an API token (your own; admins any)',
  flags: {},
  async run(ctx, args) {
    const [id] = expectPositionals(args, ['ID'], 'tokens revoke');
    const client = await apiClient(ctx);
    const t = (await client.request<ApiToken>('DELETE', `/api/v1/tokens/${seg(id!)}`)).body;
    ctx.io.stdout(formatOutput(ctx.globals.format, t, () => `token/${t.name} revoked (id ${t.id})\n`));
  },
};

export const tokenCommands: Command[] = [create, ls, revoke];
