/**
 * Snapshot metadata in one JSON file, replaced atomically (write, fsync, rename) under an
 * exclusive lock file so several processes (agent and CLI) can share a root. A lock whose
 * owner process is gone is broken.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, causeText, errnoCode } from '../errors.js';
import type { SnapshotKind } from './types.js';

export interface SnapshotRecord {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

export interface MetadataDb {
  version: 1;
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

const LOCK_TIMEOUT_MS = 30_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

export class MetadataStore {
  private readonly file: string;
  private readonly lockFile: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.file = join(root, 'metadata.json');
    this.lockFile = join(root, 'metadata.lock');
  }

  async read(): Promise<MetadataDb> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { version: 1, nextId: 1, snapshots: {} };
      throw new BerthError('snapshot_metadata', 'internal', `failed to read snapshot metadata: ${causeText(err)}`, { cause: err, path: this.file });
    }
    try {
      const db = JSON.parse(text) as MetadataDb;
      if (db.version !== 1 || typeof db.nextId !== 'number' || typeof db.snapshots !== 'object') throw new Error('unknown format');
      return db;
    } catch (err) {
      throw new BerthError('snapshot_metadata', 'internal', `failed to parse snapshot metadata: ${causeText(err)}`, { cause: err, path: this.file });
    }
  }

  /** Runs `fn` on the current metadata under the lock and persists it if `fn` returns normally. */
  update<T>(fn: (db: MetadataDb) => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.locked(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async locked<T>(fn: (db: MetadataDb) => T | Promise<T>): Promise<T> {
    await this.lock();
    try {
      const db = await this.read();
      const result = await fn(db);
      const tmp = `${this.file}.tmp-${process.pid}`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(db, null, 1));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
      return result;
    } finally {
      await unlink(this.lockFile).catch(() => undefined);
    }
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        const fh = await open(this.lockFile, 'wx', 0o600);
        await fh.writeFile(String(process.pid));
        await fh.close();
        return;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const owner = Number(await readFile(this.lockFile, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
        await unlink(this.lockFile).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new BerthError('snapshot_locked', 'unavailable', `failed to lock snapshot metadata: held by pid ${owner} for more than ${LOCK_TIMEOUT_MS} ms`, { path: this.lockFile });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
