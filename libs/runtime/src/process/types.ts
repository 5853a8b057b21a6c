import type { ShimSpawner } from './shim-client.js';
import type { RootfsPlan } from '../rootfs/types.js';
import type { Hook, IDMapping, NamespaceType, Process, Spec } from '../spec/types.js';

/**
 * Where the container's fds 0,1,2 go. `inherit`: the caller's own fds pass through (the
 * foreground `run`). Files: the supervisor reads pipes and appends CRI log lines
 * (`<RFC3339Nano> <stdout|stderr> <P|F> <line>`) to the files, rotating a file to `<path>.1`
 * when it would pass `maxSize` bytes (0 or absent: never). Both may name the same file.
 */
export type StdioConfig = 'inherit' | { stdout: string; stderr: string; maxSize?: number };

/** A namespace to create (no path) or to join (path, e.g. /proc/123/ns/net). */
export interface NamespaceRequest {
  type: NamespaceType;
  path?: string;
}

/** A hook the shim itself runs (createContainer, startContainer). */
export type ShimHook = Hook;

/**
 * Everything the shim needs to create a container's init process. Built by container/ from a
 * validated spec; launchInit encodes it into the shim's binary message.
 */
export interface LaunchInitOptions {
  /** The built berth-shim binary. */
  shimPath: string;
  containerId: string;
  /** Per-container directory the shim may write files into. */
  stateDir: string;
  /** Validated spec: process, hostname, domainname, linux.sysctl are taken from it. */
  spec: Spec;
  rootfs: RootfsPlan;
  namespaces: NamespaceRequest[];
  /** Written by the supervisor into /proc/<pid>/{uid,gid}_map; default: spec.linux mappings. */
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  /** Write "deny" to /proc/<pid>/setgroups before gid_map (needed when unprivileged). */
  setgroupsDeny?: boolean;
  /** The init pid is written into each before the init continues (and unshares cgroup ns). */
  cgroupProcsFiles: string[];
  /**
   * CgroupManager.selfPlacementFiles(): the init writes "0" to each as its first step, instead
   * of being placed through cgroupProcsFiles (no global cgroup lock, so no grace period). Used
   * only when the init joins no namespace and gets no new user namespace: it then sees the
   * same /sys/fs/cgroup as the caller and may write there.
   */
  cgroupSelfFiles?: string[];
  /** memory.oom_control (v1) or memory.events (v2): its oom_kill counter sets oomKilled. */
  oomEventsFile?: string;
  /** Classic BPF (sock_filter array, 8 bytes per instruction), loaded right before execve. */
  seccomp?: Buffer;
  /** SECCOMP_FILTER_FLAG_* for seccomp(2). */
  seccompFlags?: number;
  /** Unix socket that receives the pty master (SCM_RIGHTS) when spec.process.terminal. */
  consoleSocket?: string;
  /**
   * OCI create/start split: the shim makes this FIFO (mode 0600; it must not exist yet) and the
   * init blocks opening it for writing until `start`.
   */
  execFifo?: string;
  stdio: StdioConfig;
  /** Node-side hooks that run while the init waits with its namespaces made (before mounts). */
  hooks?: { createRuntime: (pid: number) => Promise<void> };
  /** Run by the shim in the container's mount namespace after mounts, before pivot_root. */
  createContainerHooks?: ShimHook[];
  /**
   * Move the process into its cgroups while it sets up its root filesystem rather than before
   * (it is in them before it reports ready). Only for a container without prestart,
   * createRuntime or createContainer hooks, which may look at the process's cgroup.
   */
  deferCgroupPlacement?: boolean;
  /** Run by the init after the exec FIFO opens, before execve. */
  startContainerHooks?: ShimHook[];
  /** OCI state JSON the shim-run hooks receive on stdin; a function gets the init pid. */
  stateJson?: string | ((pid: number) => string);
  /** The supervisor writes the exit record here (tmp + rename) when the init exits. */
  exitFile: string;
  /** true: the shim runs in its own session and outlives the caller. */
  detach: boolean;
  /** How the shim is started (default 'auto': posix_spawn where available). */
  spawner?: ShimSpawner;
}

/** How a container process ended, as the supervisor recorded it. */
export interface ExitRecord {
  /** Exit status, or 128 + signal when killed by a signal. */
  exitCode: number;
  /** The terminating signal number, when killed by one. */
  signal?: number;
  /** The memory cgroup's oom_kill counter rose while the process ran. */
  oomKilled: boolean;
  /** Unix time in nanoseconds. */
  finishedAt: bigint;
}

/** A started container process and its supervisor. */
export interface InitHandle {
  initPid: number;
  /** Field 22 of the init's /proc/<pid>/stat, read by the shim before the init ran (0: unknown). */
  initStartTime: number;
  /** The same for the shim itself. */
  shimStartTime: number;
  shimPid: number;
  /** Resolves when the supervisor has exited and recorded the exit. */
  wait(): Promise<ExitRecord>;
}

/** Options to run an additional process inside a running container (`exec`). */
export interface ExecOptions {
  shimPath: string;
  containerId: string;
  /** Pid of the container's init (host view); its /proc/<pid>/ns/* are joined. */
  initPid: number;
  /** Namespace types to join; those identical to the caller's are skipped. */
  namespaces: NamespaceType[];
  process: Process;
  cgroupProcsFiles: string[];
  seccomp?: Buffer;
  seccompFlags?: number;
  /** Required when process.terminal. */
  consoleSocket?: string;
  /** Default 'inherit'. */
  stdio?: StdioConfig;
  /** The exec's supervisor writes the exit record here. */
  exitFile: string;
  detach: boolean;
  /** How the shim is started (default 'auto': posix_spawn where available). */
  spawner?: ShimSpawner;
}

export interface ExecHandle {
  pid: number;
  shimPid: number;
  wait(): Promise<ExitRecord>;
}
