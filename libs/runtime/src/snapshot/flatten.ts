/**
 * Flattening of the bottom of a long layer chain into one directory, so that an overlay mount
 * of any number of layers fits the kernel's limits (mount data is one page, 4096 bytes; at most
 * 500 lower layers). The merged tree applies overlay semantics bottom-up (whiteouts delete,
 * opaque directories hide what is below) and shares file inodes with the layers through hard
 * links, so it costs one directory per merged directory and one link per file, not a copy.
 * Committed layers are immutable (overlay copies up before writing), which makes sharing safe.
 * Because nothing lies below it, the flat tree keeps no whiteouts and no opaque markers.
 */
import { chmod, lchown, link, lstat, mkdir, readdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';
import type { LayerSyscalls } from '../image/unpack/index.js';

const OPAQUE = 'trusted.overlay.opaque';

interface Pending {
  path: string;
  depth: number;
  atime: Date;
  mtime: Date;
}

async function exists(p: string): Promise<'dir' | 'other' | undefined> {
  try {
    return (await lstat(p)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Removes `p` and forgets the pending directory times below it. */
async function remove(p: string, times: Map<string, Pending>): Promise<void> {
  await rm(p, { recursive: true, force: true });
  for (const k of times.keys()) if (k === p || k.startsWith(`${p}/`)) times.delete(k);
}

async function copyDirMeta(sys: LayerSyscalls, src: string, dst: string): Promise<void> {
  const st = await lstat(src);
  await lchown(dst, st.uid, st.gid);
  await chmod(dst, st.mode & 0o7777);
  for (const name of sys.llistxattr(src)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const v = sys.lgetxattr(src, name);
    if (v !== undefined) sys.lsetxattr(dst, name, v);
  }
}

async function mergeDir(sys: LayerSyscalls, src: string, dst: string, depth: number, times: Map<string, Pending>): Promise<void> {
  for (const name of (await readdir(src)).sort()) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = await lstat(s);
    if (st.isCharacterDevice() && st.rdev === 0) {
      await remove(d, times);
      continue;
    }
    if (st.isDirectory()) {
      const have = await exists(d);
      const opaque = sys.lgetxattr(s, OPAQUE)?.toString() === 'y';
      if (have === 'other' || (have === 'dir' && opaque)) await remove(d, times);
      if (have !== 'dir' || opaque) await mkdir(d);
      await copyDirMeta(sys, s, d);
      times.set(d, { path: d, depth, atime: st.atime, mtime: st.mtime });
      await mergeDir(sys, s, d, depth + 1, times);
      continue;
    }
    if (await exists(d)) await remove(d, times);
    await link(s, d);
  }
}

/**
 * Writes into `dest` (which must not exist) the merged tree of `layers`, given bottom first.
 * Directory metadata comes from the topmost layer that has the directory.
 */
export async function flattenLayers(sys: LayerSyscalls, layers: readonly string[], dest: string): Promise<void> {
  await mkdir(dest);
  const times = new Map<string, Pending>();
  for (const layer of layers) {
    await copyDirMeta(sys, layer, dest);
    await mergeDir(sys, layer, dest, 1, times);
  }
  const top = layers[layers.length - 1];
  if (top !== undefined) {
    const st = await lstat(top);
    times.set(dest, { path: dest, depth: 0, atime: st.atime, mtime: st.mtime });
  }
  for (const t of [...times.values()].sort((a, b) => b.depth - a.depth)) await utimes(t.path, t.atime, t.mtime);
}
