/**
 * diffDirectories: turns an overlayfs upper directory (the RW layer of a build step) into an OCI
 * layer tar, the inverse of applyLayer: whiteout char devices 0/0 become `.wh.<name>` entries,
 * the opaque xattr becomes `<dir>/.wh..wh..opq`. Deterministic: depth-first, each directory
 * before its contents and its children in byte order, no user/group names, optional fixed mtime.
 * Sockets are skipped, as Docker's archiver does (they cannot be stored in a layer).
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { unpackError } from './errors.js';
import { major, minor, nativeLayerSyscalls, type LayerSyscalls } from './native.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_PREFIX } from './apply.js';
import { writeTar, type TarWriteEntry } from './tar-writer.js';

export interface DiffOptions {
  /** Every entry gets this mtime (seconds); by default each file's own, truncated to seconds. */
  mtime?: number;
  syscalls?: LayerSyscalls;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function* walk(root: string, rel: string, sys: LayerSyscalls, opts: DiffOptions, links: Map<string, string>): AsyncGenerator<TarWriteEntry> {
  const names = (await readdir(join(root, rel))).sort(byteOrder);
  for (const name of names) {
    const relPath = rel === '' ? name : `${rel}/${name}`;
    const path = join(root, relPath);
    const st = await lstat(path);
    const mtime = opts.mtime ?? Math.floor(st.mtimeMs / 1000);
    const base = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime };
    if (st.isCharacterDevice() && st.rdev === 0) {
      yield { ...base, name: rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`, type: 'file', mode: 0, size: 0 };
      continue;
    }
    const xattrs = new Map<string, Buffer>();
    for (const x of sys.llistxattr(path).sort(byteOrder)) {
      if (x === 'trusted.overlay.redirect' || x === 'trusted.overlay.metacopy') {
        throw unpackError('layer_unsupported', `failed to diff ${path}: overlay ${x.slice(16)} entries are not supported (mount without redirect_dir/metacopy)`);
      }
      if (x.startsWith('trusted.overlay.')) continue;
      const v = sys.lgetxattr(path, x);
      if (v !== undefined) xattrs.set(x, v);
    }
    const withX = xattrs.size ? { ...base, xattrs } : base;
    if (st.isDirectory()) {
      yield { ...withX, name: `${relPath}/`, type: 'dir' };
      if (sys.lgetxattr(path, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
        yield { ...base, name: `${relPath}/${OPAQUE_MARKER}`, type: 'file', mode: 0, size: 0 };
      }
      yield* walk(root, relPath, sys, opts, links);
      continue;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield { ...base, name: relPath, type: 'hardlink', linkname: first };
        continue;
      }
      links.set(key, relPath);
    }
    if (st.isFile()) {
      yield { ...withX, name: relPath, type: 'file', size: st.size, body: createReadStream(path) };
    } else if (st.isSymbolicLink()) {
      yield { ...withX, name: relPath, type: 'symlink', linkname: await readlink(path) };
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield { ...withX, name: relPath, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major(st.rdev), devminor: minor(st.rdev) };
    } else if (st.isFIFO()) {
      yield { ...withX, name: relPath, type: 'fifo' };
    }
  }
}

/** Streams the OCI layer tar of an overlay upper directory (uncompressed). */
export function diffDirectories(upperDir: string, opts: DiffOptions = {}): AsyncGenerator<Buffer> {
  const sys = opts.syscalls ?? nativeLayerSyscalls();
  return writeTar(walk(upperDir, '', sys, opts, new Map()));
}
