import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';
import type { Spec } from '../spec/types.js';
import { ContainerError, checkContainerId } from './errors.js';

/**
 * What Berth persists about one container under `<root>/<id>/state.json`. The live status
 * (running, paused, stopped) is derived from the kernel on every read (see status.ts); only
 * facts that cannot be re-read are stored here.
 */
export interface ContainerRecord {
  id: string;
  bundle: string;
  rootfs: string;
  /** `creating` until create finished; `created` afterwards (live status derived). */
  phase: 'creating' | 'created';
  initPid: number;
  /** Field 22 of /proc/<pid>/stat at create time: tells a recycled pid apart. */
  initStartTime: number;
  shimPid: number;
  /** Field 22 of the shim's /proc/<pid>/stat (absent in records written before it existed). */
  shimStartTime?: number;
  createdAt: string;
  /** The spec's linux.cgroupsPath as given (null: Berth's default); re-resolved on open. */
  cgroupsPath: string | null;
  /** Absolute path of the exec FIFO while the container waits for `start`. */
  execFifo: string;
  annotations: Record<string, string>;
  /** The validated spec the container was created from (hooks, process, resources). */
  spec: Spec;
  /** Directories or files created on the host for this container, removed on delete. */
  owner: string;
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    checkContainerId(id);
    return join(this.root, id);
  }

  /** Reserve the directory for a new container; fails if the id exists. */
  async reserve(id: string): Promise<string> {
    const dir = this.dir(id);
    // Usually the root exists: one mkdir. Synchronous, like the state writes.
    const make = () => mkdirSync(dir, { mode: 0o711 });
    try {
      try {
        make();
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        mkdirSync(this.root, { recursive: true, mode: 0o711 });
        make();
      }
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        throw new ContainerError('container_exists', `failed to create container ${id}: container already exists`, {
          containerId: id,
          path: dir,
          cause: err,
        });
      }
      throw err;
    }
    return dir;
  }

  /**
   * Replaces state.json atomically (write a temporary file, rename it over). No fsync: the state
   * describes processes that do not survive a reboot, and readers never see a partial file
   * (docs/design/runtime-performance.md). Synchronous: a few kilobytes to a local directory
   * cost less than two thread-pool round trips.
   */
  async write(rec: ContainerRecord): Promise<void> {
    this.writeFile(rec.id, 'state.json', JSON.stringify(rec));
  }

  /** Replaces one file of the container's directory atomically, as `write` does state.json. */
  writeFile(id: string, name: string, data: string | Buffer): void {
    const dir = this.dir(id);
    const tmp = join(dir, `.${name}.${process.pid}`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, join(dir, name));
  }

  async read(id: string): Promise<ContainerRecord> {
    const file = join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw new ContainerError('container_not_found', `failed to find container ${id}: container does not exist`, {
          containerId: id,
          path: file,
          cause: err,
        });
      }
      throw err;
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (err) {
      throw new ContainerError('container_not_found', `failed to read state of container ${id}: corrupt state file`, {
        containerId: id,
        path: file,
        cause: err,
      });
    }
  }

  async list(): Promise<string[]> {
    try {
      const names = readdirSync(this.root, { withFileTypes: true });
      return names.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Removes the container's directory. It holds only files (state, plan, exit record, FIFO):
   * one listing, the unlinks and one rmdir, instead of fs.rm's walk; anything else falls back
   * to that walk. Synchronous, like the reads and writes above: a handful of small local files
   * cost less than thread-pool round trips.
   */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') rmSync(dir, { recursive: true, force: true });
      return;
    }
    try {
      for (const n of names) unlinkSync(join(dir, n));
      rmdirSync(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
