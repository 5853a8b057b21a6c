import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, errnoCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LinuxResources } from '../spec/types.js';
import type { CgroupManager, CgroupStats } from './types.js';
import {
  type CgroupFsOps, realCgroupFs, hasFile, mkdirTracked, parseFlatKeyed, pidsRecursive, readCgroupFile, readOptional, rmdirRetry, signalNumber,
  removeCgroupTree, signalPid, waitFor, writeCgroupFile,
} from './fs.js';
import { controllerOf, planV2 } from './v2-resources.js';
import { statsV2 } from './stats.js';
import { compileDeviceProgram } from './devices-bpf.js';
import { BPF, createSyscalls, type Syscalls } from '../sys/index.js';

/** Controllers delegated to the children of cgroups this driver creates. */
const DELEGATE = ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb', 'rdma', 'misc'];

export interface V2ManagerOptions {
  /** Path relative to the hierarchy root. */
  path: string;
  /** Absolute directory of the cgroup. */
  dir: string;
  logger: Logger;
  /** mkdir/rmdir seam for fake trees; default node fs. */
  fs?: CgroupFsOps;
  /** For the eBPF device program; default the koffi Syscalls, made on first use. */
  sys?: Syscalls;
}

/** cgroup v2 driver: one directory in the unified hierarchy. */
export class V2CgroupManager implements CgroupManager {
  readonly version = 2 as const;
  readonly path: string;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #fs: CgroupFsOps;
  #sys: Syscalls | undefined;
  #created: string[] = [];

  constructor(opts: V2ManagerOptions) {
    this.path = opts.path;
    this.#dir = opts.dir;
    this.#log = opts.logger;
    this.#fs = opts.fs ?? realCgroupFs;
    this.#sys = opts.sys;
  }

  async create(): Promise<void> {
    // Enable controllers only in directories made here (never touch a cgroup we did not
    // create), each before its child is made; the leaf holds processes, so it enables none.
    const made = await mkdirTracked(this.#dir, this.#fs, async (d) => {
      if (d === this.#dir) return;
      const available = ((await readOptional(d, 'cgroup.controllers')) ?? '').split(/\s+/).filter((c) => DELEGATE.includes(c));
      if (available.length) await writeCgroupFile(d, 'cgroup.subtree_control', available.map((c) => `+${c}`).join(' '));
    });
    this.#created.push(...made);
  }

  procsFiles(): string[] {
    return [join(this.#dir, 'cgroup.procs')];
  }

  async addProcess(pid: number): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw new BerthError('invalid_pid', 'invalid_argument', `failed to add process to cgroup ${this.path}: ${pid} is not a pid`);
    await writeCgroupFile(this.#dir, 'cgroup.procs', String(pid));
  }

  async set(resources: LinuxResources): Promise<void> {
    const { writes, warnings } = planV2(resources, { hasBfqWeight: hasFile(this.#dir, 'io.bfq.weight') });
    for (const w of warnings) this.#log.warn(`${w}; ignored`, { cgroup: this.path });
    if (resources.devices?.length) await this.#setDevices(resources.devices);
    for (const w of writes) {
      try {
        await writeCgroupFile(this.#dir, w.file, w.value);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        const c = controllerOf(w.file);
        throw new BerthError('controller_unavailable', 'failed_precondition', `failed to set ${w.file} of cgroup ${this.path}: controller ${c} is not enabled for it`, { cause: err, path: join(this.#dir, w.file) });
      }
    }
  }

  // Loads the rules as a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it with
  // BPF_F_ALLOW_OVERRIDE, so a later set() replaces it in place.
  async #setDevices(rules: NonNullable<LinuxResources['devices']>): Promise<void> {
    const insns = compileDeviceProgram(rules);
    this.#sys ??= createSyscalls();
    const prog = this.#sys.bpfProgLoad(BPF.PROG_TYPE_CGROUP_DEVICE, insns, 'Apache-2.0', BPF.CGROUP_DEVICE);
    try {
      let dirFd: number;
      try {
        dirFd = openSync(this.#dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
      } catch (err) {
        throw new BerthError(errnoCode(err) ?? 'cgroup_io_failed', 'not_found', `failed to open cgroup ${this.#dir}: ${String(err)}`, { cause: err, path: this.#dir });
      }
      try {
        this.#sys.bpfProgAttach(dirFd, prog, BPF.CGROUP_DEVICE, BPF.F_ALLOW_OVERRIDE);
      } finally {
        closeSync(dirFd);
      }
    } finally {
      this.#sys.close(prog);
    }
  }

  async #events(): Promise<Map<string, number>> {
    return parseFlatKeyed(await readCgroupFile(this.#dir, 'cgroup.events'));
  }

  async freeze(): Promise<void> {
    await writeCgroupFile(this.#dir, 'cgroup.freeze', '1');
    await waitFor(async () => (await this.#events()).get('frozen') === 1, `freeze cgroup ${this.path}`, this.#dir);
  }

  async thaw(): Promise<void> {
    await writeCgroupFile(this.#dir, 'cgroup.freeze', '0');
    await waitFor(async () => (await this.#events()).get('frozen') === 0, `thaw cgroup ${this.path}`, this.#dir);
  }

  async freezerState(): Promise<'frozen' | 'thawed' | undefined> {
    const text = await readOptional(this.#dir, 'cgroup.events');
    if (text === undefined) return undefined;
    return parseFlatKeyed(text).get('frozen') === 1 ? 'frozen' : 'thawed';
  }

  thawedMarker(): { file: string; thawed: string } | undefined {
    return hasFile(this.#dir, 'cgroup.freeze') ? { file: join(this.#dir, 'cgroup.freeze'), thawed: '0' } : undefined;
  }

  pids(): Promise<number[]> {
    return pidsRecursive(this.#dir);
  }

  async kill(signal: NodeJS.Signals | number): Promise<void> {
    const sig = signalNumber(signal);
    if (sig === 9 && hasFile(this.#dir, 'cgroup.kill')) {
      await writeCgroupFile(this.#dir, 'cgroup.kill', '1');
      return;
    }
    const canFreeze = hasFile(this.#dir, 'cgroup.freeze') && (await this.freezerState()) === 'thawed';
    if (canFreeze) await this.freeze();
    try {
      for (const pid of await this.pids()) signalPid(pid, sig);
    } finally {
      if (canFreeze) await this.thaw();
    }
  }

  stats(): Promise<CgroupStats> {
    return statsV2(this.#dir);
  }

  oomEventsFile(): string | undefined {
    return join(this.#dir, 'memory.events');
  }

  async oomKillCount(): Promise<number> {
    return parseFlatKeyed(await readOptional(this.#dir, 'memory.events')).get('oom_kill') ?? 0;
  }

  async destroy(): Promise<void> {
    await removeCgroupTree(this.#dir, this.#fs);
    for (const d of this.#created.filter((m) => m !== this.#dir).reverse()) {
      try {
        await rmdirRetry(d, 0, this.#fs);
      } catch (err) {
        this.#log.debug('kept shared parent cgroup', { path: d, err: String(err) });
        break;
      }
    }
    this.#created = [];
  }
}
