/** Registry trust commands: sign, verify (cosign key format), login, logout. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  BerthError,
  RegistryClient,
  causeText,
  errnoCode,
  parseReference,
  resolveDigest,
  signImage,
  verifyImageSignature,
  type Credentials,
} from '@berth/runtime';
import { expectArgs, parseArgs, UsageError } from '../args.js';
import type { CliContext } from '../context.js';

async function readKey(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new BerthError('invalid_key', 'invalid_argument', `failed to read ${what} ${path}: ${causeText(err)}`, { cause: err, path });
  }
}

async function sign(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'key', kind: 'string' }, { name: 'annotation', short: 'a', kind: 'list' }]);
  expectArgs('sign', p.rest, 1, 1, '--key PRIVATE.pem [-a key=value] IMAGE');
  const keyPath = p.strings.get('key');
  if (!keyPath) throw new UsageError('sign needs --key PRIVATE.pem');
  const annotations: Record<string, string> = {};
  for (const a of p.lists.get('annotation') ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid annotation ${JSON.stringify(a)}: want key=value`);
    annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const passphrase = ctx.env.env.COSIGN_PASSWORD;
  const r = await signImage(p.rest[0] as string, {
    client: await ctx.registry(),
    privateKey: await readKey(keyPath, 'private key'),
    ...(passphrase ? { passphrase } : {}),
    annotations,
  });
  ctx.out.write(`Signed ${r.imageDigest}: signature ${r.signatureTag} (${r.signatureManifestDigest})\n`);
  return 0;
}

async function verify(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'key', kind: 'list' }]);
  expectArgs('verify', p.rest, 1, 1, '--key PUBLIC.pem [--key ...] IMAGE');
  const keyPaths = p.lists.get('key') ?? [];
  if (keyPaths.length === 0) throw new UsageError('verify needs --key PUBLIC.pem');
  const keys = await Promise.all(keyPaths.map((k) => readKey(k, 'public key')));
  const ref = parseReference(p.rest[0] as string);
  const client = await ctx.registry();
  const digest = await resolveDigest(client, ref);
  const sigs = await verifyImageSignature(client, { registry: ref.registry, repository: ref.repository }, digest, keys);
  for (const s of sigs) ctx.out.write(`Verified OK: ${digest} signed by ${keyPaths[s.keyIndex]} (payload ${s.payloadDigest})\n`);
  return 0;
}

interface AuthFile {
  auths?: Record<string, Record<string, unknown>>;
  [k: string]: unknown;
}

async function loadAuthFile(path: string): Promise<AuthFile> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as AuthFile;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw new BerthError('invalid_credentials', 'invalid_argument', `failed to read auth file ${path}: ${causeText(err)}`, { cause: err, path });
  }
}

async function saveAuthFile(path: string, doc: AuthFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

async function login(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'username', short: 'u', kind: 'string' },
    { name: 'password', short: 'p', kind: 'string' },
    { name: 'password-stdin', kind: 'bool' },
  ]);
  expectArgs('login', p.rest, 1, 1, '-u USER (--password-stdin | -p PASSWORD) REGISTRY');
  const registry = p.rest[0] as string;
  if (/[/@]/.test(registry.replace(/^https?:\/\//, '').replace(/\/+$/, ''))) {
    throw new UsageError(`invalid registry ${JSON.stringify(registry)}: want a host[:port] such as registry.example.com:5000`);
  }
  const host = registry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const username = p.strings.get('username');
  if (!username) throw new UsageError('login needs -u USER');
  let password = p.strings.get('password');
  if (p.bools.has('password-stdin')) {
    if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive');
    password = (await ctx.env.readStdin()).replace(/\r?\n$/, '');
  }
  if (!password) throw new UsageError('login needs a password: --password-stdin (recommended) or -p');
  const creds: Credentials = { username, password };
  const client = new RegistryClient({ credentials: new Map([[host, creds]]), logger: ctx.env.logger });
  const r = await client.ping(host);
  if (r.status !== 200) throw new BerthError('unauthorized', 'permission_denied', `failed to log in to ${host}: the registry rejected the credentials of ${username} (HTTP ${r.status})`);
  const doc = await loadAuthFile(ctx.env.authFile);
  doc.auths = { ...(doc.auths ?? {}), [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  await saveAuthFile(ctx.env.authFile, doc);
  ctx.out.write(`Login Succeeded (credentials saved in ${ctx.env.authFile})\n`);
  return 0;
}

async function logout(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  expectArgs('logout', p.rest, 1, 1, 'REGISTRY');
  const host = (p.rest[0] as string).replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const doc = await loadAuthFile(ctx.env.authFile);
  if (!doc.auths?.[host]) throw new BerthError('not_logged_in', 'not_found', `failed to log out of ${host}: no credentials for it in ${ctx.env.authFile}`);
  delete doc.auths[host];
  await saveAuthFile(ctx.env.authFile, doc);
  ctx.out.write(`Removed login credentials for ${host}\n`);
  return 0;
}

export const trustCommands = { sign, verify, login, logout };
