/**
 * The root filesystem of a container as data: what the native shim mounts inside the new
 * mount namespace, in order, before pivot_root. Computed in TypeScript by `planRootfs()` from a
 * validated spec; encoded for the shim by process/. Nothing here touches the system.
 *
 * Paths named `target`/`path` are absolute *inside the container* (e.g. `/proc`); the shim
 * resolves them under `rootfs` without following symlinks out of it.
 */
export interface RootfsPlan {
  /** Absolute host path of the root filesystem (bundle-relative root.path resolved). */
  rootfs: string;
  /** MS_* propagation flags applied to `/` before anything else (default MS_REC|MS_SLAVE). */
  rootPropagation: number;
  /** Remount `/` read-only after pivot_root (spec root.readonly). */
  readonlyRoot: boolean;
  /** Mounts in spec order, /dev/pts etc. included. */
  mounts: PlannedMount[];
  /** Device nodes to create under /dev (mknod, or bind from the host path inside a user ns). */
  devices: PlannedDevice[];
  /** Symlinks such as /dev/fd -> /proc/self/fd, created after devices. */
  symlinks: { path: string; target: string }[];
  /** Paths covered after pivot_root: directories by a read-only tmpfs, files by /dev/null. */
  maskedPaths: string[];
  /** Paths bind-mounted onto themselves and remounted read-only after pivot_root. */
  readonlyPaths: string[];
}

export interface PlannedMount {
  /** Host path for binds; fs-specific source otherwise ("proc", "tmpfs", ...). */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  /** Filesystem type; "bind" is expressed with flags & MS_BIND and fstype "". */
  fstype: string;
  /** MS_* flags for the first mount(2) call. */
  flags: number;
  /** Comma-separated fs data (e.g. "mode=755,size=65536k"). */
  data: string;
  /** Propagation flags (each one mount(2) call with only that flag), e.g. [MS_REC|MS_PRIVATE]. */
  propagation: number[];
  /** For binds with ro/nosuid/... : flags for the MS_REMOUNT|MS_BIND second call, else 0. */
  remountFlags: number;
  /** Create the target as a directory or as an empty file when missing (a file bind). */
  createAs: 'dir' | 'file';
}

export interface PlannedDevice {
  /** Absolute path inside the container, e.g. /dev/null. */
  path: string;
  type: 'c' | 'b' | 'p' | 'u';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** MS_* constants from <sys/mount.h>. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;
