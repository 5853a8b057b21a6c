import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { errnoCode, causeText } from '../errors.js';
import { ImageError } from './errors.js';

/**
 * A cross-process lock: a file created with O_EXCL holding the owner's pid. A lock whose pid is
 * no longer alive (or an empty lock older than `staleEmptyMs`, from a crash between create and
 * write) is stale and is broken by renaming it away first, so two breakers cannot both win.
 * Same-host only (pids are local), which is what the agent and CLI sharing a data root need.
 */
export interface LockOptions {
  /** Give up after this long (ms); 0 = try once. Default 30 s. */
  timeoutMs?: number;
  /** Poll interval start (ms); doubles up to 200 ms. */
  pollMs?: number;
  staleEmptyMs?: number;
}

export type Release = () => Promise<void>;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw new ImageError('store_io', `failed to create lock file ${path}: ${causeText(err)}`, { cause: err, path });
  }
}

async function isStale(path: string, staleEmptyMs: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (Number.isInteger(pid) && pid > 0) return pid !== process.pid && !pidAlive(pid);
  try {
    const st = await stat(path);
    return Date.now() - st.mtimeMs > staleEmptyMs;
  } catch {
    return false;
  }
}

async function breakStale(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  await rm(aside, { force: true });
}

/** Tries once; returns a release function, or undefined when another live owner holds it. */
export async function tryLock(path: string, opts: LockOptions = {}): Promise<Release | undefined> {
  if (await tryCreate(path)) return releaser(path);
  if (await isStale(path, opts.staleEmptyMs ?? 5000)) {
    await breakStale(path);
    if (await tryCreate(path)) return releaser(path);
  }
  return undefined;
}

/** Waits for the lock up to `timeoutMs`; throws ImageError('store_locked') naming the holder. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<Release> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let wait = opts.pollMs ?? 10;
  for (;;) {
    const release = await tryLock(path, opts);
    if (release) return release;
    if (Date.now() >= deadline) {
      const holder = await readFile(path, 'utf8').catch(() => '?');
      throw new ImageError(
        'store_locked',
        `failed to lock ${path}: held by pid ${holder.trim() || '?'} for longer than the timeout`,
        { path },
      );
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 200);
  }
}

function releaser(path: string): Release {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await rm(path, { force: true });
  };
}

/** Runs `fn` while holding the lock at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
