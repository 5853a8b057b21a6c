import { readFile } from 'node:fs/promises';
import { causeText, errnoCode } from '../../errors.js';
import { ImageError } from '../errors.js';

/**
 * Registry authentication pieces: WWW-Authenticate challenge parsing (RFC 7235), Docker-style
 * config.json credentials, and a token cache keyed by registry + scope.
 * Token flow: https://distribution.github.io/distribution/spec/auth/token/
 */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `Bearer realm="...",service="...",scope="..."` (several challenges allowed). */
export function parseChallenges(header: string): Challenge[] {
  const out: Array<{ scheme: string; params: Record<string, string> }> = [];
  const re = /\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)(?:\s+|$)|\s*([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
  let pos = 0;
  while (pos < header.length) {
    re.lastIndex = pos;
    const m = re.exec(header);
    if (!m || re.lastIndex === pos) break;
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      out.push({ scheme: m[1].toLowerCase(), params: {} });
    } else if (m[2] !== undefined && out.length > 0) {
      const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
      (out[out.length - 1] as { params: Record<string, string> }).params[m[2].toLowerCase()] = value;
    }
    while (header[pos] === ',' || header[pos] === ' ') pos++;
  }
  return out;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The `auths` map of a Docker config.json, keys as Docker writes them. */
export interface DockerConfig {
  readonly auths?: Readonly<Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>>;
}

/** Docker stores Docker Hub credentials under its v1 index URL. */
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

function hostOf(key: string): string {
  let k = key.trim();
  if (/^https?:\/\//.test(k)) k = new URL(k).host;
  return k.replace(/\/.*$/, '').toLowerCase();
}

/**
 * Credentials per registry from a parsed Docker config.json. `auth` is base64 "user:password";
 * explicit username/password win when both are present. Malformed entries fail naming the key.
 */
export function credentialsFromDockerConfig(config: unknown): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  if (typeof config !== 'object' || config === null) {
    throw new ImageError('invalid_credentials', 'failed to read registry credentials: config is not a JSON object');
  }
  const auths = (config as DockerConfig).auths;
  if (auths === undefined) return out;
  if (typeof auths !== 'object' || auths === null) {
    throw new ImageError('invalid_credentials', 'failed to read registry credentials: "auths" is not an object');
  }
  for (const [key, entry] of Object.entries(auths)) {
    let username = entry?.username;
    let password = entry?.password;
    if ((username === undefined || password === undefined) && typeof entry?.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new ImageError(
          'invalid_credentials',
          `failed to read registry credentials for "${key}": auth is not base64 of "username:password"`,
        );
      }
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username === undefined || password === undefined) continue;
    const host = DOCKER_HUB_KEYS.includes(key) ? 'docker.io' : hostOf(key);
    out.set(host, { username, password });
  }
  return out;
}

/** Reads a Docker config.json (path given by the caller); a missing file means no credentials. */
export async function loadDockerConfig(path: string): Promise<Map<string, Credentials>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return new Map();
    throw new ImageError('invalid_credentials', `failed to read registry credentials ${path}: ${causeText(err)}`, { cause: err, path });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImageError('invalid_credentials', `failed to parse registry credentials ${path}: ${causeText(err)}`, { cause: err, path });
  }
  return credentialsFromDockerConfig(doc);
}

export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Bearer tokens by `registry|scope`, dropped 10 s before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  get(registry: string, scope: string): string | undefined {
    const key = `${registry}|${scope}`;
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (this.now() >= t.expiresAt - 10_000) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  /** `expiresIn` seconds (spec default 60); `issuedAt` RFC 3339 when the server gave one. */
  set(registry: string, scope: string, token: string, expiresIn = 60, issuedAt?: string): void {
    const issued = issuedAt ? Date.parse(issuedAt) : Number.NaN;
    const start = Number.isFinite(issued) && issued <= this.now() ? issued : this.now();
    this.tokens.set(`${registry}|${scope}`, { token, expiresAt: start + Math.max(expiresIn, 60) * 1000 });
  }

  clear(registry: string, scope: string): void {
    this.tokens.delete(`${registry}|${scope}`);
  }
}
