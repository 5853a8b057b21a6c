import { dirname, join } from 'node:path';
import { BerthError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LinuxResources } from '../spec/types.js';
import type { CgroupManager, CgroupStats } from './types.js';
import {
  type CgroupFsOps, realCgroupFs, hasFile, mkdirTracked, parseFlatKeyed, parseValue, pidsRecursive, readCgroupFile, readOptional, rmdirRetry,
  readCgroupFileSync, removeCgroupTree, settleAll, signalNumber, signalPid, waitFor, writeCgroupFile, writeCgroupFileSync,
} from './fs.js';
import { planV1, type V1Write } from './v1-resources.js';
import { statsV1 } from './stats.js';

/** Controllers whose absence only warns (runc treats them as optional too). */
const OPTIONAL = new Set(['net_cls', 'net_prio', 'rdma', 'hugetlb']);

export interface V1ManagerOptions {
  /** Path shown as `manager.path` (the memory hierarchy's path when paths differ). */
  path: string;
  /** Controller -> absolute cgroup directory. Controllers of one hierarchy share a directory. */
  dirs: Map<string, string>;
  logger: Logger;
  /** mkdir/rmdir seam for fake trees; default node fs. */
  fs?: CgroupFsOps;
}

/** cgroup v1 driver: one directory per mounted hierarchy. */
export class V1CgroupManager implements CgroupManager {
  readonly version = 1 as const;
  readonly path: string;
  readonly #dirs: Map<string, string>;
  readonly #log: Logger;
  readonly #fs: CgroupFsOps;
  /** Directories this instance made, per hierarchy directory, top first. */
  readonly #created = new Map<string, string[]>();

  constructor(opts: V1ManagerOptions) {
    this.path = opts.path;
    this.#dirs = opts.dirs;
    this.#log = opts.logger;
    this.#fs = opts.fs ?? realCgroupFs;
  }

  #unique(): string[] {
    return [...new Set(this.#dirs.values())];
  }

  #dir(controller: string): string | undefined {
    return this.#dirs.get(controller);
  }

  // Hierarchies are independent: they are worked on concurrently (8 on a typical v1 host), and
  // every one has settled before a failure is thrown (the first, in hierarchy order).
  async create(): Promise<void> {
    await settleAll(this.#unique().map(async (dir) => {
      const made = await mkdirTracked(dir, this.#fs);
      this.#created.set(dir, [...(this.#created.get(dir) ?? []), ...made]);
      if (dir === this.#dir('cpuset')) {
        for (const d of [...made.filter((m) => m !== dir), dir]) this.#inheritCpuset(d);
      }
    }));
  }

  // A new v1 cpuset starts with empty cpus/mems and refuses tasks until they are set: copy them
  // from the parent (what cgroup.clone_children would do).
  // Synchronous: cpuset files never block.
  #inheritCpuset(dir: string): void {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (hasFile(dir, file) && readCgroupFileSync(dir, file).trim() !== '') continue;
      const parent = readCgroupFileSync(dirname(dir), file).trim();
      if (parent !== '') writeCgroupFileSync(dir, file, parent);
    }
  }

  procsFiles(): string[] {
    return this.#unique().map((d) => join(d, 'cgroup.procs'));
  }

  selfPlacementFiles(): string[] {
    return this.#unique().map((d) => join(d, 'tasks'));
  }

  async addProcess(pid: number): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw new BerthError('invalid_pid', 'invalid_argument', `failed to add process to cgroup ${this.path}: ${pid} is not a pid`);
    for (const dir of this.#unique()) await writeCgroupFile(dir, 'cgroup.procs', String(pid));
  }

  async set(resources: LinuxResources): Promise<void> {
    const mem = this.#dir('memory');
    const needsLimit = resources.memory?.swap !== undefined && mem !== undefined;
    const writes = planV1(resources, {
      hasMemsw: mem !== undefined && hasFile(mem, 'memory.memsw.limit_in_bytes'),
      ...(needsLimit ? { memoryLimit: parseValue(await readCgroupFile(mem, 'memory.limit_in_bytes')) } : {}),
    });
    if (mem && resources.memory?.swap && !hasFile(mem, 'memory.memsw.limit_in_bytes')) {
      this.#log.warn('swap limit not applied: memory.memsw.limit_in_bytes is absent (swap accounting off)', { path: mem });
    }
    for (const w of writes) await this.#apply(w);
  }

  async #apply(w: V1Write): Promise<void> {
    const dir = this.#dir(w.controller);
    if (!dir) {
      if (OPTIONAL.has(w.controller)) {
        this.#log.warn(`${w.file} not applied: controller ${w.controller} is not mounted`, { cgroup: this.path });
        return;
      }
      throw new BerthError('controller_unavailable', 'failed_precondition', `failed to set ${w.file} of cgroup ${this.path}: controller ${w.controller} is not mounted`);
    }
    let file = w.file;
    // Without CFQ the weight files are absent; BFQ offers its own (same 10..1000 range).
    if (file.startsWith('blkio.weight') || file.startsWith('blkio.leaf_weight')) {
      if (!hasFile(dir, file)) {
        const bfq = file.replace('blkio.', 'blkio.bfq.');
        if (!hasFile(dir, bfq)) {
          this.#log.warn(`${file} not applied: no CFQ or BFQ weight file`, { path: dir });
          return;
        }
        file = bfq;
      }
    }
    // Only memory limits can block (a lower limit reclaims synchronously); every other v1
    // interface file is written without a thread-pool round trip (~11 device rules per create).
    if (w.controller === 'memory') await writeCgroupFile(dir, file, w.value);
    else writeCgroupFileSync(dir, file, w.value);
  }

  async freeze(): Promise<void> {
    const dir = this.#freezerDir('freeze');
    await writeCgroupFile(dir, 'freezer.state', 'FROZEN');
    // FREEZING can linger while tasks sit in uninterruptible sleep; re-asserting FROZEN retries.
    await waitFor(async () => {
      const s = (await readCgroupFile(dir, 'freezer.state')).trim();
      if (s !== 'FROZEN') await writeCgroupFile(dir, 'freezer.state', 'FROZEN');
      return s === 'FROZEN';
    }, `freeze cgroup ${this.path}`, dir);
  }

  async thaw(): Promise<void> {
    const dir = this.#freezerDir('thaw');
    await writeCgroupFile(dir, 'freezer.state', 'THAWED');
    await waitFor(async () => (await readCgroupFile(dir, 'freezer.state')).trim() === 'THAWED', `thaw cgroup ${this.path}`, dir);
  }

  #freezerDir(verb: string): string {
    const dir = this.#dir('freezer');
    if (!dir) throw new BerthError('controller_unavailable', 'failed_precondition', `failed to ${verb} cgroup ${this.path}: freezer controller is not mounted`);
    return dir;
  }

  async freezerState(): Promise<'frozen' | 'thawed' | undefined> {
    const dir = this.#dir('freezer');
    if (!dir) return undefined;
    const s = (await readOptional(dir, 'freezer.state'))?.trim();
    if (s === undefined) return undefined;
    return s === 'FROZEN' ? 'frozen' : 'thawed';
  }

  async pids(): Promise<number[]> {
    const dir = ['pids', 'freezer', 'memory', 'cpu'].map((c) => this.#dir(c)).find((d) => d !== undefined) ?? this.#unique()[0];
    return dir ? pidsRecursive(dir) : [];
  }

  async kill(signal: NodeJS.Signals | number): Promise<void> {
    const sig = signalNumber(signal);
    // Frozen members cannot fork or exit, so the pid list stays exact while we signal it.
    const canFreeze = this.#dir('freezer') !== undefined && (await this.freezerState()) === 'thawed';
    if (canFreeze) await this.freeze();
    try {
      for (const pid of await this.pids()) signalPid(pid, sig);
    } finally {
      if (canFreeze) await this.thaw();
    }
  }

  stats(): Promise<CgroupStats> {
    return statsV1((c) => this.#dir(c));
  }

  thawedMarker(): { file: string; thawed: string } | undefined {
    const dir = this.#dir('freezer');
    return dir ? { file: join(dir, 'freezer.state'), thawed: 'THAWED' } : undefined;
  }

  oomEventsFile(): string | undefined {
    const dir = this.#dir('memory');
    return dir ? join(dir, 'memory.oom_control') : undefined;
  }

  async oomKillCount(): Promise<number> {
    const dir = this.#dir('memory');
    if (!dir) return 0;
    return parseFlatKeyed(await readOptional(dir, 'memory.oom_control')).get('oom_kill') ?? 0;
  }

  async destroy(): Promise<void> {
    await settleAll(this.#unique().map(async (dir) => {
      await removeCgroupTree(dir, this.#fs);
      // Ancestors this instance made, deepest first; a sibling may still use them.
      for (const d of (this.#created.get(dir) ?? []).filter((m) => m !== dir).reverse()) {
        try {
          await rmdirRetry(d, 0, this.#fs);
        } catch (err) {
          this.#log.debug('kept shared parent cgroup', { path: d, err: String(err) });
          break;
        }
      }
      this.#created.delete(dir);
    }));
  }
}
