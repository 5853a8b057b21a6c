/**
 * User resolution for image-derived specs: the image's (or the caller's) `user` string resolved
 * against the image's /etc/passwd and /etc/group, the way runc's libcontainer/user
 * GetExecUser does for Docker:
 * - "" means root (uid 0, gid 0);
 * - "name" or "uid": the passwd entry gives uid, gid and home; a numeric uid without an entry
 *   runs with gid 0; an unknown name is an error;
 * - "user:group": the group is a name (looked up in /etc/group) or a number; it replaces the
 *   passwd gid, and then no supplementary groups are added;
 * - without an explicit group, every /etc/group entry that lists the user name adds its gid.
 */
import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, causeText, errnoCode } from '../errors.js';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** Home directory from /etc/passwd ("/" when the user has no entry). */
  readonly home: string;
  readonly username?: string;
}

/** The two files as text; absent files are undefined (numeric users still resolve). */
export interface UserDb {
  readonly passwd?: string;
  readonly group?: string;
}

const MAX_ID = 2 ** 32 - 2;

function parseId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

/** Parses /etc/passwd text; malformed lines are skipped as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseId(f[2] ?? '');
    const gid = parseId(f[3] ?? '');
    if (f.length < 4 || !f[0] || uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] || '/' });
  }
  return out;
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = parseId(f[2] ?? '');
    if (f.length < 3 || !f[0] || gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

function userError(user: string, why: string): BerthError {
  return new BerthError('invalid_user', 'invalid_argument', `failed to resolve user ${JSON.stringify(user)}: ${why}`);
}

/** Resolves a Docker `User` string against the image's user database. */
export function resolveUser(user: string, db: UserDb): ResolvedUser {
  const spec = user.trim();
  const colon = spec.indexOf(':');
  const userPart = colon >= 0 ? spec.slice(0, colon) : spec;
  const groupPart = colon >= 0 ? spec.slice(colon + 1) : '';
  if (colon >= 0 && groupPart === '') throw userError(user, 'group after ":" is empty');
  if (colon >= 0 && userPart === '') throw userError(user, 'user before ":" is empty');
  const passwd = db.passwd !== undefined ? parsePasswd(db.passwd) : [];
  const groups = db.group !== undefined ? parseGroup(db.group) : [];

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const numericUid = userPart === '' ? 0 : parseId(userPart);
  if (numericUid !== undefined) {
    uid = numericUid;
    const entry = passwd.find((p) => p.uid === uid);
    if (entry) ({ gid, home, name } = entry);
  } else {
    if (/^-?\d+$/.test(userPart)) throw userError(user, `uid ${userPart} is out of range 0-${MAX_ID}`);
    if (db.passwd === undefined) throw userError(user, 'the image has no /etc/passwd to look the name up in');
    const entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw userError(user, `no user named ${JSON.stringify(userPart)} in the image's /etc/passwd`);
    ({ uid, gid, home, name } = entry);
  }

  if (groupPart !== '') {
    const numericGid = parseId(groupPart);
    if (numericGid !== undefined) return { uid, gid: numericGid, additionalGids: [], home, ...(name ? { username: name } : {}) };
    if (/^-?\d+$/.test(groupPart)) throw userError(user, `gid ${groupPart} is out of range 0-${MAX_ID}`);
    if (db.group === undefined) throw userError(user, 'the image has no /etc/group to look the group up in');
    const g = groups.find((e) => e.name === groupPart);
    if (!g) throw userError(user, `no group named ${JSON.stringify(groupPart)} in the image's /etc/group`);
    return { uid, gid: g.gid, additionalGids: [], home, ...(name ? { username: name } : {}) };
  }
  const additionalGids: number[] = [];
  if (name !== undefined) {
    for (const g of groups) if (g.members.includes(name) && !additionalGids.includes(g.gid)) additionalGids.push(g.gid);
  }
  return { uid, gid, additionalGids, home, ...(name ? { username: name } : {}) };
}

/**
 * Reads `path` (absolute inside the image) from the tree at `rootfs` without leaving it:
 * symlinks are resolved component by component against `rootfs`, never the host's `/` (an
 * image may ship `/etc/passwd -> /host/...`). Missing files give undefined.
 */
export async function readFileInRoot(rootfs: string, path: string, maxBytes = 4 * 1024 * 1024): Promise<string | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = join(rootfs, ...resolved, part);
    let st;
    try {
      st = await lstat(host);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw new BerthError('rootfs_read_failed', 'internal', `failed to read ${path} in ${rootfs}: ${causeText(err)}`, { cause: err, path: host });
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new BerthError('rootfs_read_failed', 'internal', `failed to read ${path} in ${rootfs}: too many levels of symbolic links`, { path: host });
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(part);
  }
  const file = join(rootfs, ...resolved);
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new BerthError('rootfs_read_failed', 'internal', `failed to read ${path} in ${rootfs}: ${causeText(err)}`, { cause: err, path: file });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes) throw new BerthError('rootfs_read_failed', 'internal', `failed to read ${path} in ${rootfs}: larger than ${maxBytes} bytes`, { path: file });
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/** /etc/passwd and /etc/group of an unpacked or mounted image tree. */
export async function readUserDb(rootfs: string): Promise<UserDb> {
  const passwd = await readFileInRoot(rootfs, '/etc/passwd');
  const group = await readFileInRoot(rootfs, '/etc/group');
  return { ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) };
}
