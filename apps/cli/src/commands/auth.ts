import { hostname } from 'node:os';
import { bool, str, type ParsedArgs } from '../args.js';
import { ApiClient } from '../client.js';
import { normalizeServer, readConfig, writeConfig, type CliConfig } from '../config.js';
import { ApiError, CliError, UsageError, errorMessage } from '../errors.js';
import { configFile, type Command, type Context } from './context.js';

interface LoginResponse {
  user: { username: string; role: string };
  expiresAt: string;
}
interface CreatedToken {
  id: string;
  name: string;
  token: string;
}

async function password(ctx: Context, args: ParsedArgs): Promise<string> {
  if (bool(args, 'password-stdin')) {
    const pw = (await ctx.io.readStdin()).replace(/\r?\n$/, '');
    if (pw === '') throw new UsageError('login: --password-stdin read an empty password');
    return pw;
  }
  if (!ctx.io.isTTY || !ctx.io.prompt) throw new UsageError('login: stdin is not a terminal; pass the password with --password-stdin');
  return ctx.io.prompt('Password: ', true);
}

async function username(ctx: Context, args: ParsedArgs, stored: string | undefined): Promise<string> {
  const u = str(args, 'username') ?? stored;
  if (u !== undefined) return u;
  if (!ctx.io.isTTY || !ctx.io.prompt) throw new UsageError('login: --username is required when stdin is not a terminal');
  return ctx.io.prompt('Username: ', false);
}

function sessionFrom(headers: Headers): string | undefined {
  for (const c of headers.getSetCookie()) {
    const m = /^berth_session=([^;]*)/.exec(c);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

const login: Command = {
  path: ['login'],
  usage: '--server URL [--username U] [--password-stdin] | --server URL --token T',
  summary: 'log in and store the server and an API token in ~/.config/berth/config.json',
  flags: { username: { type: 'string', short: 'u' }, 'password-stdin': { type: 'boolean' } },
  async run(ctx, args) {
    if (args.positionals.length > 0) throw new UsageError(`login: unexpected argument ${JSON.stringify(args.positionals[0])}`);
    const path = configFile(ctx);
    const old = await readConfig(path).catch(() => undefined);
    const rawServer = ctx.globals.server ?? old?.server;
    if (rawServer === undefined) throw new UsageError('login: --server URL is required');
    const server = normalizeServer(rawServer);

    const given = ctx.globals.token ?? (ctx.env['BERTH_TOKEN'] || undefined);
    if (given !== undefined) {
      const me = await new ApiClient(server, { token: given }, ctx.fetch).get<{ username: string; role: string }>('/api/v1/auth/me');
      await writeConfig(path, { server, token: given, username: me.username });
      ctx.io.stdout(`Logged in to ${server} as ${me.username} (${me.role}) with the given token\n`);
      return;
    }

    const user = await username(ctx, args, str(args, 'username') === undefined && old?.server === server ? old.username : undefined);
    const pw = await password(ctx, args);
    const anon = new ApiClient(server, {}, ctx.fetch);
    const res = await anon.request<LoginResponse>('POST', '/api/v1/auth/login', { body: { username: user, password: pw }, anonymous: true });
    const session = sessionFrom(res.headers);
    if (session === undefined) throw new CliError(`failed to log in to ${server}: the console set no session cookie`);
    const withSession = new ApiClient(server, { session }, ctx.fetch);
    const name = `berth-cli ${user}@${hostname()} ${new Date(ctx.now()).toISOString()}`.slice(0, 100);
    let config: CliConfig;
    try {
      const tok = (await withSession.request<CreatedToken>('POST', '/api/v1/tokens', { body: { name } })).body;
      config = { server, token: tok.token, tokenId: tok.id, username: res.body.user.username };
      // The token replaces the session; end it so it does not linger until it expires.
      await withSession.request('POST', '/api/v1/auth/logout').catch(() => undefined);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      // Consoles before self-service tokens let only admins create them; keep the session instead (it expires).
      config = { server, session, sessionExpiresAt: res.body.expiresAt, username: res.body.user.username };
      ctx.io.stderr(`berth: warning: role ${res.body.user.role} may not create API tokens; stored a session that expires at ${res.body.expiresAt}\n`);
    }
    await writeConfig(path, config);
    ctx.io.stdout(`Logged in to ${server} as ${res.body.user.username} (${res.body.user.role})\n`);
  },
};

const logout: Command = {
  path: ['logout'],
  usage: '',
  summary: 'revoke the stored API token (or end the session) and forget it',
  flags: {},
  async run(ctx, args) {
    if (args.positionals.length > 0) throw new UsageError(`logout: unexpected argument ${JSON.stringify(args.positionals[0])}`);
    const path = configFile(ctx);
    const config = await readConfig(path);
    if (config === undefined || (config.token === undefined && config.session === undefined)) {
      ctx.io.stdout('Not logged in\n');
      return;
    }
    const server = normalizeServer(config.server);
    try {
      if (config.token !== undefined && config.tokenId !== undefined) {
        await new ApiClient(server, { token: config.token }, ctx.fetch).request('DELETE', `/api/v1/tokens/${encodeURIComponent(config.tokenId)}`);
      } else if (config.session !== undefined) {
        await new ApiClient(server, { session: config.session }, ctx.fetch).request('POST', '/api/v1/auth/logout');
      }
    } catch (err) {
      ctx.io.stderr(`berth: warning: failed to revoke the credential at ${server}: ${errorMessage(err)}; forgetting it anyway\n`);
    }
    const kept: CliConfig = { server: config.server, ...(config.username ? { username: config.username } : {}) };
    await writeConfig(path, kept);
    ctx.io.stdout(`Logged out of ${server}\n`);
  },
};

export const authCommands: Command[] = [login, logout];
