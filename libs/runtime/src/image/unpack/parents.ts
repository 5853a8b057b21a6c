/**
 * Directories a layer uses without listing them (`a/b/f` with no `a/b/` entry). Unpacked into
 * an overlay upper dir, a directory made with default metadata would hide the lower layer's
 * owner, mode and xattrs in the merged view; overlayfs's own copy-up keeps them. So, given the
 * lower layers, an implicit directory copies the metadata of the directory the lower layers
 * show at that path; without one it gets 0755 root:root (Docker's default).
 */
import { chmod, lchown, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../errors.js';
import type { LayerSyscalls } from './native.js';

const OPAQUE = 'trusted.overlay.opaque';

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Host path of the directory the lower layers (top first) show at `parts`, if any. */
export async function lowerDirAt(sys: LayerSyscalls, lowers: readonly string[], parts: readonly string[]): Promise<string | undefined> {
  for (const lower of lowers) {
    const st = await lstatOrUndefined(join(lower, ...parts));
    if (st?.isDirectory()) return join(lower, ...parts);
    if (st) return undefined; // a file or a whiteout hides everything below
    // Absent here: an opaque or non-directory ancestor in this layer hides the lower ones.
    for (let i = parts.length - 1; i >= 1; i--) {
      const anc = join(lower, ...parts.slice(0, i));
      const ast = await lstatOrUndefined(anc);
      if (ast && (!ast.isDirectory() || sys.lgetxattr(anc, OPAQUE)?.toString() === 'y')) return undefined;
    }
  }
  return undefined;
}

/** Creates implicit directory `path`; returns its mtime source when copied from a lower. */
export async function makeImplicitDir(sys: LayerSyscalls, lowers: readonly string[], path: string, parts: readonly string[], chown: boolean): Promise<Date | undefined> {
  await mkdir(path, { mode: 0o755 });
  await chmod(path, 0o755);
  const src = lowers.length ? await lowerDirAt(sys, lowers, parts) : undefined;
  if (!src) return undefined;
  const st = await lstat(src);
  if (chown) await lchown(path, st.uid, st.gid);
  await chmod(path, st.mode & 0o7777);
  for (const name of sys.llistxattr(src)) {
    if (name.startsWith('trusted.overlay.')) continue;
    const v = sys.lgetxattr(src, name);
    if (v !== undefined) sys.lsetxattr(path, name, v);
  }
  return st.mtime;
}
