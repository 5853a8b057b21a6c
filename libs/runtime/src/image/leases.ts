import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode } from '../errors.js';

/**
 * Leases protect blobs that a running pull or push has written but no image record references
 * yet, so a garbage collection in another process (agent vs CLI) does not sweep them. A lease is
 * a file `<root>/leases/<id>`: the owner pid on the first line, then one digest per line. Leases
 * of dead processes are ignored (and removed) by the collector.
 */
export interface Lease {
  readonly id: string;
  add(digest: string): Promise<void>;
  release(): Promise<void>;
}

export async function createLease(root: string): Promise<Lease> {
  const dir = join(root, 'leases');
  await mkdir(dir, { recursive: true });
  const id = `${process.pid}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const path = join(dir, id);
  await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
  let released = false;
  return {
    id,
    async add(digest: string) {
      if (!released) await appendFile(path, `${digest}\n`);
    },
    async release() {
      released = true;
      await rm(path, { force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Digests held by live leases; leases of dead owners are deleted. */
export async function leasedDigests(root: string): Promise<Set<string>> {
  const dir = join(root, 'leases');
  const out = new Set<string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return out;
    throw err;
  }
  for (const name of names) {
    const path = join(dir, name);
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text === '') continue; // being created right now
    const [first, ...rest] = text.split('\n');
    const pid = Number.parseInt(first ?? '', 10);
    if (!Number.isInteger(pid) || !alive(pid)) {
      await rm(path, { force: true });
      continue;
    }
    for (const d of rest) if (d) out.add(d);
  }
  return out;
}
