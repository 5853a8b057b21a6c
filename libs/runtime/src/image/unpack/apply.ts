/**
 * applyLayer: unpacks one OCI layer (tar, tar+gzip, tar+zstd) into an empty directory as an
 * overlayfs layer. Whiteouts become overlay whiteouts (char device 0/0) and opaque markers the
 * `trusted.overlay.opaque=y` xattr, per the OCI image spec's layer changeset rules:
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 * The layer is written to a temporary sibling and renamed into place only when it is complete
 * and safe, so a rejected layer leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { chmod, lchown, link, lstat, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, symlink, utimes, lutimes } from 'node:fs/promises';
import { chmodSync, lchownSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BerthError, causeText, errnoCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { noopLogger } from '../../logger.js';
import { entryComponents, resolveDir } from './contain.js';
import { makeImplicitDir } from './parents.js';
import { decompress, type Compression } from './decompress.js';
import { unpackError } from './errors.js';
import { makedev, nativeLayerSyscalls, S_IFBLK, S_IFCHR, S_IFIFO, type LayerSyscalls } from './native.js';
import { readTar, type TarEntry, type TarHeader } from './tar.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface ApplyOptions {
  /** Limit on the uncompressed tar stream in bytes (default 64 GiB) -> 'layer_too_large'. */
  maxBytes?: number;
  /** Limit on the number of tar entries (default 1,000,000) -> 'layer_too_large'. */
  maxEntries?: number;
  /** mknod/xattr calls; defaults to the koffi binding. */
  syscalls?: LayerSyscalls;
  /** Called after each entry is written. */
  onEntry?: (header: Readonly<TarHeader>) => void;
  /** Compression the media type declares; a mismatch with the content is an error. */
  compression?: Compression;
  /**
   * Lower layers of the snapshot being written (top first, as in overlay's lowerdir): a
   * directory the layer uses without an entry of its own takes their metadata (parents.ts).
   */
  lowerDirs?: readonly string[];
  /** Skip lchown (for unprivileged callers); ownership is kept by default. */
  ignoreOwnership?: boolean;
  logger?: Logger;
}

export interface ApplyResult {
  /** `sha256:<hex>` of the uncompressed tar stream, to check against rootfs.diff_ids. */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  /** Number of tar entries applied. */
  entries: number;
}

interface Ctx {
  root: string;
  sys: LayerSyscalls;
  opts: ApplyOptions;
  log: Logger;
  dirTimes: { path: string; depth: number; mtime: number }[];
}

async function removeExisting(path: string, keepDir: boolean): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (keepDir && st.isDirectory()) return true;
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  return false;
}

// Metadata calls and small-file writes are synchronous: each is a few microseconds of page-cache
// work, while an awaited fs call costs a libuv thread-pool round trip (measured: most of the unpack
// time on a loaded 2-core host went to those hand-offs; bench/images).
async function setMetadata(ctx: Ctx, path: string, h: TarHeader, isLink: boolean): Promise<void> {
  if (!ctx.opts.ignoreOwnership) lchownSync(path, h.uid, h.gid);
  if (!isLink) chmodSync(path, h.mode);
  for (const [name, value] of h.xattrs) {
    if (name.startsWith('trusted.overlay.')) continue; // overlay's private namespace, never from a layer
    try {
      ctx.sys.lsetxattr(path, name, value);
    } catch (err) {
      if (errnoCode(err) !== 'EOPNOTSUPP' && !(isLink && errnoCode(err) === 'EPERM')) throw err;
      ctx.log.warn('xattr not supported, skipped', { path, name, err: causeText(err) });
    }
  }
}

const SMALL_FILE = 1 << 20;
const WRITE_BATCH = 1 << 20;

/** Small files in one synchronous write; large ones in 1 MiB writes, not one per tar chunk. */
async function writeFile(path: string, body: AsyncIterable<Buffer>, size: number): Promise<void> {
  if (size <= SMALL_FILE) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    writeFileSync(path, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { flag: 'wx', mode: 0o600 });
    return;
  }
  const fh = await open(path, 'wx', 0o600);
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const c of body) {
      pending.push(c);
      pendingBytes += c.length;
      if (pendingBytes >= WRITE_BATCH) {
        await fh.write(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) await fh.write(Buffer.concat(pending, pendingBytes));
  } finally {
    await fh.close();
  }
}

async function applyEntry(ctx: Ctx, e: TarEntry): Promise<void> {
  const h = e.header;
  const parts = entryComponents(h.name);
  const base = parts.pop();
  if (base === undefined) {
    // The layer root itself ("./"): only its metadata applies.
    if (h.type !== 'dir') throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(h.name)}: the root must be a directory`);
    await setMetadata(ctx, ctx.root, h, false);
    ctx.dirTimes.push({ path: ctx.root, depth: 0, mtime: h.mtime });
    return;
  }
  const create = async (p: string, done: readonly string[]): Promise<void> => {
    const mtime = await makeImplicitDir(ctx.sys, ctx.opts.lowerDirs ?? [], p, done, !ctx.opts.ignoreOwnership);
    if (mtime) ctx.dirTimes.push({ path: p, depth: done.length, mtime: mtime.getTime() / 1000 });
  };
  const dir = await resolveDir(ctx.root, parts, { create, entry: h.name });
  if (base === OPAQUE_MARKER) {
    ctx.sys.lsetxattr(dir.path, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
    return;
  }
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(h.name)}: bad whiteout name`);
    const p = join(dir.path, victim);
    await removeExisting(p, false);
    ctx.sys.mknod(p, S_IFCHR | 0o000, 0);
    if (!ctx.opts.ignoreOwnership) await lchown(p, h.uid, h.gid);
    // The entry's mtime, so diffDirectories gives the same .wh. entry back (not "now").
    utimesSync(p, h.mtime, h.mtime);
    return;
  }
  const path = join(dir.path, base);
  switch (h.type) {
    case 'dir': {
      if (!(await removeExisting(path, true))) await mkdir(path, { mode: 0o700 });
      await setMetadata(ctx, path, h, false);
      ctx.dirTimes.push({ path, depth: dir.parts.length + 1, mtime: h.mtime });
      return;
    }
    case 'file':
      await removeExisting(path, false);
      await writeFile(path, e.body, h.size);
      break;
    case 'symlink':
      await removeExisting(path, false);
      await symlink(h.linkname, path);
      await setMetadata(ctx, path, h, true);
      await lutimes(path, h.mtime, h.mtime);
      return;
    case 'hardlink': {
      const tparts = entryComponents(h.linkname, 'hard link target');
      const tbase = tparts.pop();
      if (tbase === undefined) throw unpackError('layer_unsafe', `failed to unpack entry ${JSON.stringify(h.name)}: hard link to the layer root`);
      const tdir = await resolveDir(ctx.root, tparts, { create: false, entry: h.name });
      const target = join(tdir.path, tbase);
      const st = await lstat(target).catch((err: unknown) => {
        throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(h.name)}: hard link target ${JSON.stringify(h.linkname)} is not in this layer`, { cause: err });
      });
      if (st.isDirectory()) throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(h.name)}: hard link to a directory`);
      if (target === path) return;
      await removeExisting(path, false);
      await link(target, path);
      return;
    }
    case 'char':
    case 'block':
    case 'fifo': {
      await removeExisting(path, false);
      const type = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
      ctx.sys.mknod(path, type | (h.mode & 0o777), h.type === 'fifo' ? 0 : makedev(h.devmajor, h.devminor));
      break;
    }
  }
  await setMetadata(ctx, path, h, false);
  utimesSync(path, h.mtime, h.mtime);
}

async function* meter(src: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>, max: number, count: { n: number }): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    count.n += c.length;
    if (count.n > max) throw unpackError('layer_too_large', `failed to unpack layer: uncompressed size exceeds the limit of ${max} bytes`);
    hash.update(c);
    yield c;
  }
}

async function checkDest(dest: string): Promise<boolean> {
  try {
    const names = await readdir(dest);
    if (names.length > 0) throw new BerthError('layer_dest_not_empty', 'failed_precondition', `failed to unpack layer: destination ${dest} is not empty`, { path: dest });
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Unpacks `stream` (a compressed or plain layer tar) into `destDir`, which must be missing or
 * empty. All-or-nothing: on any error the partial tree is removed and `destDir` is untouched.
 */
export async function applyLayer(stream: AsyncIterable<Uint8Array>, destDir: string, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const destExists = await checkDest(destDir);
  const parent = dirname(destDir);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `.${basename(destDir)}.unpack-`));
  const ctx: Ctx = { root: tmp, sys: opts.syscalls ?? nativeLayerSyscalls(), opts, log: opts.logger ?? noopLogger, dirTimes: [] };
  const hash = createHash('sha256');
  const count = { n: 0 };
  const maxEntries = opts.maxEntries ?? 1_000_000;
  let entries = 0;
  try {
    await chmod(tmp, 0o755);
    for await (const e of readTar(meter(decompress(stream, opts.compression), hash, opts.maxBytes ?? 64 * 2 ** 30, count))) {
      if (++entries > maxEntries) throw unpackError('layer_too_large', `failed to unpack layer: more than ${maxEntries} entries`);
      try {
        await applyEntry(ctx, e);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        throw unpackError('layer_apply_failed', `failed to unpack entry ${JSON.stringify(e.header.name)}: ${causeText(err)}`, { cause: err, path: destDir });
      }
      opts.onEntry?.(e.header);
    }
    // Directory mtimes last, deepest first, since writing their contents changed them.
    for (const d of ctx.dirTimes.sort((a, b) => b.depth - a.depth)) await utimes(d.path, d.mtime, d.mtime);
    if (destExists) await rmdir(destDir);
    await rename(tmp, destDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch((cleanupErr: unknown) => {
      ctx.log.error('failed to remove partial layer', { path: tmp, err: causeText(cleanupErr) });
    });
    throw err;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size: count.n, entries };
}
