/**
 * COPY and ADD into a mounted step root. Destination paths are resolved one component at a
 * time inside the root (symlinks followed as the container would see them, never out of it).
 * Docker's rules: a directory source copies its contents; a file goes to `dest/` + basename
 * when dest ends in `/` or is an existing directory; owners become 0:0 unless --chown; modes
 * and mtimes are kept. ADD extracts a local tar archive (plain, gzip, zstd) into dest.
 */
import { createReadStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, mkdtemp, open, readdir, readlink, rm, symlink, utimes, lutimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Stats } from 'node:fs';
import { applyLayer, decompress, detectCompression, entryComponents, resolveDir } from '../unpack/index.js';
import type { Source } from './context.js';
import { BuildError } from './errors.js';

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

export interface CopyOptions {
  /** Owner of what is copied; undefined keeps the archive's owners for ADD extraction, 0:0 else. */
  readonly owner?: Owner;
  readonly chmod?: number;
  /** ADD: extract tar archives. */
  readonly extract: boolean;
  /** Scratch space for ADD extraction. */
  readonly tmpDir: string;
}

interface Ctx {
  root: string;
  opts: CopyOptions;
}

async function destDir(ctx: Ctx, parts: readonly string[]): Promise<string[]> {
  const r = await resolveDir(ctx.root, parts, {
    entry: `/${parts.join('/')}`,
    create: async (p) => {
      await mkdir(p, { mode: 0o755 });
      const o = ctx.opts.owner ?? { uid: 0, gid: 0 };
      await lchown(p, o.uid, o.gid);
    },
  });
  return r.parts;
}

async function replaceable(path: string, what: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) throw new Error(`cannot overwrite directory ${what} with a non-directory`);
  await rm(path, { force: true });
}

async function applyMeta(ctx: Ctx, path: string, st: Stats, link: boolean, keepOwner: boolean): Promise<void> {
  const o = ctx.opts.owner ?? (keepOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
  await lchown(path, o.uid, o.gid);
  if (link) {
    await lutimes(path, st.atime, st.mtime);
    return;
  }
  await chmod(path, ctx.opts.chmod ?? st.mode & 0o7777);
  await utimes(path, st.atime, st.mtime);
}

/** Copies the entry at `src` to the name `name` inside root-relative directory `dirParts`. */
async function copyEntry(ctx: Ctx, src: string, st: Stats, dirParts: readonly string[], name: string, keepOwner: boolean): Promise<void> {
  const display = `/${[...dirParts, name].join('/')}`;
  if (st.isDirectory()) {
    const parts = await destDir(ctx, [...dirParts, name]);
    await copyContents(ctx, src, parts, keepOwner);
    await applyMeta(ctx, join(ctx.root, ...parts), st, false, keepOwner);
    return;
  }
  const dir = join(ctx.root, ...(await destDir(ctx, dirParts)));
  const path = join(dir, name);
  await replaceable(path, display);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), path);
    await applyMeta(ctx, path, st, true, keepOwner);
  } else if (st.isFile()) {
    await copyFile(src, path);
    await applyMeta(ctx, path, st, false, keepOwner);
  } else if (st.isCharacterDevice() && st.rdev === 0) {
    return; // an overlay whiteout from an extracted archive: nothing to copy
  } else {
    throw new Error(`${src} is not a regular file, directory or symlink`);
  }
}

async function copyContents(ctx: Ctx, srcDir: string, parts: readonly string[], keepOwner: boolean): Promise<void> {
  for (const n of (await readdir(srcDir)).sort()) {
    const p = join(srcDir, n);
    await copyEntry(ctx, p, await lstat(p), parts, n, keepOwner);
  }
}

/** True when the file is a tar archive (after gzip/zstd decompression): ustar magic at 257. */
export async function isTarArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  let data = Buffer.alloc(0);
  try {
    const src = createReadStream(path, { highWaterMark: 64 * 1024 });
    for await (const c of decompress(src, detectCompression(head))) {
      data = Buffer.concat([data, c]);
      if (data.length >= 512) break;
    }
    src.destroy();
  } catch {
    return false;
  }
  return data.length >= 512 && data.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Copies the sources into the mounted `root` at `dest` (absolute; trailing `/` = directory). */
export async function copyIntoRoot(root: string, sources: readonly Source[], dest: string, opts: CopyOptions): Promise<void> {
  const ctx: Ctx = { root, opts };
  const destParts = entryComponents(dest.replace(/^\/+/, ''), 'destination');
  const wantsDir = dest.endsWith('/') || sources.length > 1;
  for (const s of sources) {
    try {
      if (s.stats.isDirectory()) {
        const parts = await destDir(ctx, destParts);
        await copyContents(ctx, s.path, parts, false);
        continue;
      }
      if (opts.extract && (await isTarArchive(s.path))) {
        const parts = await destDir(ctx, destParts);
        const tmp = await mkdtemp(join(opts.tmpDir, 'add-'));
        try {
          await applyLayer(createReadStream(s.path), join(tmp, 'x'));
          await copyContents(ctx, join(tmp, 'x'), parts, true);
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
        continue;
      }
      let dirParts = destParts.slice(0, -1);
      let name = destParts[destParts.length - 1];
      const existing = await resolveDir(root, destParts, { create: false, entry: dest }).catch(() => undefined);
      if (wantsDir || existing !== undefined || name === undefined) {
        dirParts = destParts;
        name = basename(s.path);
      }
      await copyEntry(ctx, s.path, s.stats, dirParts, name, false);
    } catch (err) {
      if (err instanceof BuildError) throw err;
      throw new BuildError('build_io', `failed to copy ${JSON.stringify(s.spec)} to ${dest}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** WORKDIR: creates `path` (absolute) and missing parents inside the root, owned by root, 0755. */
export async function ensureDir(root: string, path: string): Promise<void> {
  await destDir({ root, opts: { extract: false, tmpDir: root } }, entryComponents(path.replace(/^\/+/, ''), 'WORKDIR'));
}
