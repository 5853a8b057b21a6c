/**
 * The build context: COPY/ADD sources (with `*`/`?`/`[...]` wildcards), contained in the
 * context directory, and their content hash for the build cache (paths, types, modes, link
 * targets and file contents; not mtimes or owners, like Docker's cache checksum).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { causeText, errnoCode } from '../../errors.js';
import { BuildError } from './errors.js';

export interface Source {
  /** Path as written in the Dockerfile. */
  readonly spec: string;
  /** Absolute host path (symlinks in the top-level path resolved inside the context). */
  readonly path: string;
  readonly stats: Stats;
}

function contextError(line: number, keyword: string, why: string, cause?: unknown): BuildError {
  return new BuildError('context_invalid', `failed to ${keyword} at Dockerfile line ${line}: ${why}`, cause === undefined ? {} : { cause });
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function inContext(contextDir: string, p: string): Promise<string> {
  const real = await realpath(p);
  const root = await realpath(contextDir);
  if (real !== root && !real.startsWith(root + sep)) throw new Error(`resolves to ${real}, outside the build context`);
  return real;
}

/** Expands and checks the sources of one COPY/ADD; each must exist inside `contextDir`. */
export async function resolveSources(contextDir: string, specs: readonly string[], line: number, keyword: string): Promise<Source[]> {
  const out: Source[] = [];
  for (const spec of specs) {
    const clean = posix.normalize(`/${spec}`).slice(1);
    if (spec.split('/').includes('..') && posix.normalize(spec).startsWith('..')) {
      throw contextError(line, keyword, `source ${JSON.stringify(spec)} is outside the build context`);
    }
    let candidates = [''];
    for (const part of clean === '' ? [] : clean.split('/')) {
      const next: string[] = [];
      for (const base of candidates) {
        if (!/[*?[]/.test(part)) {
          next.push(base === '' ? part : `${base}/${part}`);
          continue;
        }
        const re = globToRegExp(part);
        const names = await readdir(join(contextDir, base)).catch(() => [] as string[]);
        for (const n of names.sort()) if (re.test(n)) next.push(base === '' ? n : `${base}/${n}`);
      }
      candidates = next;
    }
    if (candidates.length === 0) throw contextError(line, keyword, `no source files were specified by ${JSON.stringify(spec)} (nothing matches)`);
    for (const rel of candidates) {
      const p = join(contextDir, rel);
      try {
        const real = await inContext(contextDir, p);
        out.push({ spec, path: real, stats: await stat(real) });
      } catch (err) {
        const why = errnoCode(err) === 'ENOENT' ? 'not found in the build context' : causeText(err);
        throw contextError(line, keyword, `source ${JSON.stringify(rel || spec)} ${why}`, err);
      }
    }
  }
  return out;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function hashTree(h: ReturnType<typeof createHash>, path: string, rel: string, st: Stats): Promise<void> {
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isDirectory()) {
    h.update(`d ${rel} ${mode}\n`);
    const names = (await readdir(path)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const p = join(path, n);
      await hashTree(h, p, `${rel}/${n}`, await lstat(p));
    }
  } else if (st.isSymbolicLink()) {
    h.update(`l ${rel} ${await readlink(path)}\n`);
  } else if (st.isFile()) {
    h.update(`f ${rel} ${mode} ${st.size} ${await hashFile(path)}\n`);
  } else {
    h.update(`o ${rel} ${mode} ${st.mode >>> 12} ${st.rdev}\n`);
  }
}

/** sha256 over the sources' trees, for the cache key of a COPY/ADD step. */
export async function hashSources(sources: readonly Source[]): Promise<string> {
  const h = createHash('sha256');
  for (const s of sources) {
    h.update(`source ${s.spec}\n`);
    await hashTree(h, s.path, '.', s.stats);
  }
  return `sha256:${h.digest('hex')}`;
}
