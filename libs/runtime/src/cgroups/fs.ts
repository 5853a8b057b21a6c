import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, promises as fsp, readdirSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BerthError, causeText, errnoCode } from '../errors.js';
import { errnoCategory } from '../sys/errno.js';

// File access shared by both drivers. Every error is a BerthError carrying the path.

function fsError(err: unknown, what: string, path: string): BerthError {
  const code = errnoCode(err) ?? 'cgroup_io_failed';
  return new BerthError(code, errnoCategory(code), `failed to ${what}: ${causeText(err)}`, { cause: err, path });
}

/**
 * The two operations where cgroupfs differs from a plain directory tree: mkdir creates the
 * interface files, rmdir removes a directory that still lists them. Tests against a fake tree
 * in a temp dir inject emulations; the default is plain node fs.
 */
export interface CgroupFsOps {
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** mkdir -p: the first directory it made, undefined if `path` existed (optional). */
  mkdirp?(path: string): Promise<string | undefined>;
}

// mkdir and rmdir on cgroupfs are in-kernel work that never waits on I/O: done synchronously
// they cost a few microseconds instead of a thread-pool round trip
// (docs/design/runtime-performance.md).
export const realCgroupFs: CgroupFsOps = {
  mkdir: async (p) => mkdirSync(p),
  rmdir: async (p) => rmdirSync(p),
  // node's own mkdir -p walks up in C++: no JavaScript error per missing level
  mkdirp: async (p) => mkdirSync(p, { recursive: true }),
};

// O_WRONLY|O_TRUNC without O_CREAT: a missing interface file (controller not enabled) is ENOENT
// on cgroupfs and on a fake tree alike.
const WRITE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_TRUNC;

export async function writeCgroupFile(dir: string, file: string, value: string): Promise<void> {
  const path = join(dir, file);
  try {
    await fsp.writeFile(path, value, { flag: WRITE_FLAGS });
  } catch (err) {
    throw fsError(err, `write ${JSON.stringify(value)} to ${path}`, path);
  }
}

/**
 * writeCgroupFile without the thread pool, for interface files whose write never blocks (all but
 * memory limits, which may reclaim synchronously).
 */
export function writeCgroupFileSync(dir: string, file: string, value: string): void {
  const path = join(dir, file);
  try {
    const fd = openSync(path, WRITE_FLAGS);
    try {
      writeSync(fd, value); // one write: cgroup files take one value per write(2)
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw fsError(err, `write ${JSON.stringify(value)} to ${path}`, path);
  }
}

export function readCgroupFileSync(dir: string, file: string): string {
  const path = join(dir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fsError(err, `read ${path}`, path);
  }
}

export async function readCgroupFile(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw fsError(err, `read ${path}`, path);
  }
}

/** Contents of a file, or undefined when it does not exist (controller absent). */
export async function readOptional(dir: string, file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(join(dir, file), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fsError(err, `read ${join(dir, file)}`, join(dir, file));
  }
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** A number from a single-value file; `max` (and v1's huge "unlimited") read as Infinity. */
export function parseValue(text: string): number {
  const t = text.trim();
  if (t === 'max' || t === '-1') return Infinity;
  const n = Number(t);
  if (!Number.isFinite(n)) throw new BerthError('cgroup_parse_failed', 'internal', `failed to parse cgroup value: ${JSON.stringify(t)}`);
  return n >= 2 ** 62 ? Infinity : n;
}

/** `key value` lines (cpu.stat, memory.stat, memory.events, cpuacct.stat) as a map. */
export function parseFlatKeyed(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && v !== '') m.set(k, v === 'max' ? Infinity : Number(v));
  }
  return m;
}

/** v2 nested keyed lines (`8:0 rbytes=1 wbytes=2`) as device -> key -> value. */
export function parseNestedKeyed(text: string | undefined): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    if (!dev) continue;
    const m = new Map<string, number>();
    for (const p of pairs) {
      const [k, v] = p.split('=');
      if (k && v !== undefined) m.set(k, v === 'max' ? Infinity : Number(v));
    }
    out.set(dev, m);
  }
  return out;
}

/**
 * mkdir -p that returns the directories it made, top first, so destroy() removes only those.
 * `onMade` runs right after each mkdir, before the next level is made.
 */
export async function mkdirTracked(path: string, ops: CgroupFsOps = realCgroupFs, onMade?: (dir: string) => Promise<void>): Promise<string[]> {
  if (ops.mkdirp && !onMade) {
    let first: string | undefined;
    try {
      first = await ops.mkdirp(path);
    } catch (err) {
      throw fsError(err, `create cgroup ${path}`, path);
    }
    if (first === undefined) return [];
    // `first` and every level below it, down to `path`
    const leaf = path.replace(/\/+$/, '');
    const made = [first];
    for (let i = leaf.indexOf('/', first.length + 1); i >= 0; i = leaf.indexOf('/', i + 1)) made.push(leaf.slice(0, i));
    if (made[made.length - 1] !== leaf) made.push(leaf);
    return made;
  }
  // Usually only the leaf is missing: one mkdir. Otherwise walk up until a mkdir succeeds or
  // finds its directory there, then make the rest top-down: no stat per path component.
  const made: string[] = [];
  const missing: string[] = []; // deepest first
  for (let dir = path; ; ) {
    try {
      await ops.mkdir(dir);
      made.push(dir);
      await onMade?.(dir);
      break;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') break;
      const parent = dirname(dir);
      if (code !== 'ENOENT' || parent === dir) throw fsError(err, `create cgroup ${dir}`, dir);
      missing.push(dir);
      dir = parent;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      await ops.mkdir(dir);
      made.push(dir);
      await onMade?.(dir);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsError(err, `create cgroup ${dir}`, dir);
    }
  }
  return made;
}

/** Awaits every promise; then throws the first rejection in array order, if any. */
export async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Child cgroup directories of `dir`, deepest first, then `dir` itself. */
export async function subtreeBottomUp(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }); // cgroupfs: no I/O to wait for
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw fsError(err, `list cgroup ${dir}`, dir);
  }
  for (const e of entries) if (e.isDirectory()) out.push(...(await subtreeBottomUp(join(dir, e.name))));
  out.push(dir);
  return out;
}

/**
 * One rmdir of a cgroup: undefined once it is gone (or already was), else the error of a cgroup
 * that is still busy (members exiting, child cgroups); any other error throws.
 */
async function rmdirOnce(dir: string, ops: CgroupFsOps): Promise<unknown> {
  try {
    await ops.rmdir(dir);
    return undefined;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return err;
    throw fsError(err, `remove cgroup ${dir}`, dir);
  }
}

/**
 * Removes a cgroup and its child cgroups, deepest first (rmdirRetry for each). Usually it has
 * none: one rmdir, no listing.
 */
export async function removeCgroupTree(dir: string, ops: CgroupFsOps = realCgroupFs): Promise<void> {
  if ((await rmdirOnce(dir, ops)) === undefined) return;
  for (const d of await subtreeBottomUp(dir)) await rmdirRetry(d, 1000, ops);
}

/** rmdir a cgroup directory; retries while it is busy (members still exiting) up to `timeoutMs`. */
export async function rmdirRetry(dir: string, timeoutMs = 1000, ops: CgroupFsOps = realCgroupFs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const busy = await rmdirOnce(dir, ops);
    if (busy === undefined) return;
    if (Date.now() >= deadline) throw fsError(busy, `remove cgroup ${dir}`, dir);
    await sleep(delay);
  }
}

/** Pids in `cgroup.procs` of `dir` and every descendant. */
export async function pidsRecursive(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const d of await subtreeBottomUp(dir)) {
    const text = await readOptional(d, 'cgroup.procs');
    for (const l of (text ?? '').split('\n')) if (l.trim()) pids.push(Number(l));
  }
  return [...new Set(pids)].sort((a, b) => a - b);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true; throws `unavailable` with `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, what: string, path: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    if (await check()) return;
    if (Date.now() >= deadline) {
      throw new BerthError('cgroup_timeout', 'unavailable', `failed to ${what}: not settled after ${timeoutMs} ms`, { path });
    }
    await sleep(delay);
  }
}

export { signalNumber } from '../sys/signals.js';

/** process.kill that ignores processes which are already gone. */
export function signalPid(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') throw fsError(err, `send signal ${signal} to pid ${pid}`, `/proc/${pid}`);
  }
}
