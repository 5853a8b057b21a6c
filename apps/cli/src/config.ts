import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError, errorMessage } from './errors.js';

/** What `berth login` stores: where the console is and how to authenticate to it. */
export interface CliConfig {
  server: string;
  /** Bearer API token (created at login for admins). */
  token?: string;
  /** Id of that token, so `berth logout` can revoke it. */
  tokenId?: string;
  /** Session cookie value, for users who may not create API tokens. */
  session?: string;
  sessionExpiresAt?: string;
  username?: string;
}

/** `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json`. */
export function configPath(env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  const base = env['XDG_CONFIG_HOME'] || join(homedir, '.config');
  return join(base, 'berth', 'config.json');
}

/** The stored config, or undefined when there is none; a broken file is an error naming it. */
export async function readConfig(path: string): Promise<CliConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`failed to read config ${path}: ${errorMessage(err)}`, 1, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`failed to read config ${path}: not JSON (${errorMessage(err)}); run 'berth login' again`, 1, { cause: err });
  }
  return validateConfig(path, data);
}

function validateConfig(path: string, data: unknown): CliConfig {
  const bad = (what: string): never => {
    throw new CliError(`failed to read config ${path}: ${what}; run 'berth login' again`);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('not a JSON object');
  const o = data as Record<string, unknown>;
  if (typeof o['server'] !== 'string' || o['server'] === '') return bad('"server" must be a non-empty string');
  const out: CliConfig = { server: o['server'] };
  for (const k of ['token', 'tokenId', 'session', 'sessionExpiresAt', 'username'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') return bad(`"${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Writes the config readable by its owner only (0600, directory 0700): to a temp file in the
 * same directory first, then renamed over the old one, so a crash never leaves half a file.
 */
export async function writeConfig(path: string, config: CliConfig): Promise<void> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new CliError(`failed to write config ${path}: ${errorMessage(err)}`, 1, { cause: err });
  }
}

/** Normalizes a --server value: needs http(s)://, loses trailing slashes. */
export function normalizeServer(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`failed to parse server URL ${JSON.stringify(raw)}: want http://HOST:PORT or https://HOST:PORT`, 2);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CliError(`failed to parse server URL ${JSON.stringify(raw)}: the scheme must be http or https, not ${u.protocol.replace(':', '')}`, 2);
  }
  return u.toString().replace(/\/+$/, '');
}
