/**
 * USER and --chown: names are looked up in the image's own /etc/passwd and /etc/group (read
 * inside the mounted step root, never the host's), numbers are taken as they are.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveDir } from '../unpack/index.js';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: number[];
}

async function readEtc(root: string, name: string): Promise<string[][]> {
  try {
    const etc = await resolveDir(root, ['etc'], { create: false, entry: `/etc/${name}` });
    const text = await readFile(join(etc.path, name), 'utf8');
    return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isId = (s: string) => /^\d+$/.test(s);

/** Resolves `user[:group]` against the root; throws an Error naming what is missing. */
export async function resolveUser(root: string, spec: string): Promise<ResolvedUser> {
  const [user = '', group] = spec.split(':');
  const passwd = await readEtc(root, 'passwd');
  const groups = await readEtc(root, 'group');
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  if (isId(user)) {
    uid = Number(user);
    const row = passwd.find((r) => r[2] === user);
    if (row) {
      gid = Number(row[3]);
      name = row[0];
    }
  } else {
    const row = passwd.find((r) => r[0] === user);
    if (!row) throw new Error(`user ${JSON.stringify(user)} is not in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
    name = user;
  }
  if (group !== undefined) {
    if (isId(group)) gid = Number(group);
    else {
      const row = groups.find((r) => r[0] === group);
      if (!row) throw new Error(`group ${JSON.stringify(group)} is not in the image's /etc/group`);
      gid = Number(row[2]);
    }
  }
  const additionalGids =
    group === undefined && name !== undefined
      ? groups.filter((r) => (r[3] ?? '').split(',').includes(name)).map((r) => Number(r[2])).filter((g) => g !== gid)
      : [];
  return { uid, gid: gid ?? 0, additionalGids };
}
