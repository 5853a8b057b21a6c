/**
 * Containment for layer unpack, in the spirit of cyphar/filepath-securejoin: every entry path is
 * cleaned lexically, then its parent is walked one component at a time with lstat. Symlinked
 * parents are followed *inside* the layer root: an absolute target is taken relative to the
 * root (how `/lib -> /usr/lib` reads inside the container); a relative target that climbs above
 * the root is refused, as are names that are absolute or climb out with `..`.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../errors.js';
import { unpackError } from './errors.js';

const MAX_SYMLINKS = 255;

/** Root-relative components of a tar entry name; throws 'layer_unsafe' for escaping names. */
export function entryComponents(name: string, what = 'entry'): string[] {
  if (name.startsWith('/')) throw unpackError('layer_unsafe', `failed to unpack ${what} ${JSON.stringify(name)}: absolute path`);
  if (name.includes('\0')) throw unpackError('layer_unsafe', `failed to unpack ${what} ${JSON.stringify(name)}: NUL in path`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw unpackError('layer_unsafe', `failed to unpack ${what} ${JSON.stringify(name)}: path escapes the layer root`);
      out.pop();
    } else out.push(c);
  }
  return out;
}

export interface ResolveOptions {
  /**
   * Creates a missing directory (given its host path and root-relative components), or false
   * to fail on a missing one.
   */
  create: false | ((path: string, parts: readonly string[]) => Promise<void>);
  /** Entry name for error messages. */
  entry: string;
}

/**
 * Resolves directory components below `root`, following symlinks inside the root, and returns
 * the host path of the resulting directory plus its root-relative components.
 */
export async function resolveDir(root: string, parts: readonly string[], opts: ResolveOptions): Promise<{ path: string; parts: string[] }> {
  const todo = [...parts];
  const done: string[] = [];
  let hops = 0;
  const unsafe = (why: string) => unpackError('layer_unsafe', `failed to unpack entry ${JSON.stringify(opts.entry)}: ${why}`);
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      if (done.length === 0) throw unsafe('a symlinked parent escapes the layer root');
      done.pop();
      continue;
    }
    const p = join(root, ...done, c);
    let st;
    try {
      st = await lstat(p);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      if (!opts.create) throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(opts.entry)}: ${[...done, c].join('/')} does not exist`, { cause: err });
      done.push(c);
      await opts.create(p, done);
      continue;
    }
    if (st.isDirectory()) {
      done.push(c);
    } else if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINKS) throw unsafe('too many levels of symbolic links');
      const target = await readlink(p);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
    } else {
      throw unpackError('layer_invalid', `failed to unpack entry ${JSON.stringify(opts.entry)}: ${[...done, c].join('/')} is not a directory`);
    }
  }
  return { path: join(root, ...done), parts: done };
}
