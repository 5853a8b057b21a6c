import type { LinuxResources } from '../spec/types.js';

/**
 * One container's cgroup, whatever the host's cgroup version. Nothing outside cgroups/
 * branches on v1 vs v2: callers get a CgroupManager from `createCgroupManager()`.
 *
 * Lifecycle: `create()` makes the directories (idempotent), `set()` writes resources,
 * `addProcess()` places a pid, `freeze()/thaw()` pause, `kill()` signals every member,
 * `destroy()` removes every directory it created (waiting for members to leave).
 */
export interface CgroupManager {
  readonly version: 1 | 2;
  /** Path of the cgroup relative to the hierarchy root, e.g. `/process_api/abc/berth/c1`. */
  readonly path: string;
  create(): Promise<void>;
  /** Absolute `cgroup.procs` (v1: `tasks`-equivalent `cgroup.procs`) files, one per hierarchy. */
  procsFiles(): string[];
  /**
   * Files a single-threaded process writes "0" to in order to move itself in (v1: each
   * hierarchy's `tasks`): moving the current thread skips the global cgroup lock, whose first
   * writer after a quiet spell waits an RCU grace period (~5-15 ms here). Undefined where there
   * is no such file (v2 has only cgroup.procs). Optional for test doubles.
   */
  selfPlacementFiles?(): string[] | undefined;
  addProcess(pid: number): Promise<void>;
  set(resources: LinuxResources): Promise<void>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Frozen, thawed, or undefined where no freezer is available. */
  freezerState(): Promise<'frozen' | 'thawed' | undefined>;
  /** All pids in the cgroup (recursive). */
  pids(): Promise<number[]>;
  /**
   * Send `signal` to every process in the cgroup (v2 `cgroup.kill` for SIGKILL where present;
   * otherwise the cgroup is frozen while its pids are listed and signalled, then thawed). A
   * cgroup that was already frozen stays frozen: on v1 the signal takes effect at thaw.
   */
  kill(signal: NodeJS.Signals | number): Promise<void>;
  stats(): Promise<CgroupStats>;
  /** Count of OOM kills in this cgroup since it was created. */
  oomKillCount(): Promise<number>;
  /**
   * A file that starts with `thawed` while the cgroup is not frozen (read by the native delete,
   * native/fastpath.c); undefined without a freezer. Optional for test doubles.
   */
  thawedMarker?(): { file: string; thawed: string } | undefined;
  /** The file whose `oom_kill` counter `oomKillCount()` reads (for the shim), if any. */
  oomEventsFile(): string | undefined;
  destroy(): Promise<void>;
}

/** Counters are cumulative since creation; limits that are not set read as Infinity. */
export interface CgroupStats {
  cpu: { usageNanos: number; userNanos: number; systemNanos: number; throttledPeriods: number; throttledNanos: number };
  memory: { usage: number; limit: number; workingSet: number; cache: number; rss: number; swap: number; failcnt: number; oomKills: number };
  pids: { current: number; limit: number };
  io: { readBytes: number; writeBytes: number; readOps: number; writeOps: number };
}
