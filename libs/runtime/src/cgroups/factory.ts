import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { BerthError, causeText } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import type { CgroupManager } from './types.js';
import type { CgroupFsOps } from './fs.js';
import type { Syscalls } from '../sys/index.js';
import { detectCgroupLayout, parseSelfCgroup, type CgroupHierarchy } from './layout.js';
import { resolveCgroupsPath } from './paths.js';
import { V1CgroupManager } from './v1.js';
import { V2CgroupManager } from './v2.js';

export interface CgroupManagerOptions {
  /**
   * OCI `linux.cgroupsPath`: absolute = from the hierarchy root, relative = from the runtime's
   * own cgroup in each hierarchy, undefined = `<own cgroup>/berth/<containerId>`.
   */
  path: string | undefined;
  /** Needed when `path` is undefined. */
  containerId?: string;
  /** Where hierarchies are mounted; default /sys/fs/cgroup. With version 2, the v2 mountpoint. */
  root?: string;
  /** Text of /proc/self/mountinfo (read when absent). */
  mountinfo?: string;
  /** Text of /proc/self/cgroup (read when absent). */
  selfCgroup?: string;
  /** Force a driver; default: v2 only on unified hosts, v1 on hybrid and legacy hosts. */
  version?: 1 | 2;
  logger?: Logger;
  /** mkdir/rmdir seam for tests against a fake tree. */
  fs?: CgroupFsOps;
  /** Syscalls for the v2 eBPF device program (default: the koffi one, made on first use). */
  sys?: Syscalls;
}

const DEFAULT_ROOT = '/sys/fs/cgroup';

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError('cgroups_unavailable', 'failed_precondition', `failed to read ${file}: ${causeText(err)}`, { cause: err, path: file });
  }
}

/** Absolute directory of cgroup `path` in a hierarchy mounted at `mountpoint` showing `hroot`. */
function dirIn(mountpoint: string, hroot: string, path: string): string {
  if (hroot === '/') return posix.join(mountpoint, path);
  if (path !== hroot && !path.startsWith(`${hroot}/`)) {
    throw new BerthError('cgroup_outside_mount', 'failed_precondition', `failed to locate cgroup ${path}: the hierarchy at ${mountpoint} only shows ${hroot}`, { path: mountpoint });
  }
  return posix.join(mountpoint, path.slice(hroot.length));
}

// Mountpoints come from mountinfo; with an injected root they are re-based onto it.
function rebase(mountpoint: string, root: string): string {
  if (root === DEFAULT_ROOT) return mountpoint;
  if (mountpoint === DEFAULT_ROOT || mountpoint.startsWith(`${DEFAULT_ROOT}/`)) return root + mountpoint.slice(DEFAULT_ROOT.length);
  return mountpoint;
}

/**
 * The CgroupManager for one container's cgroup on this host. Detects the layout from mountinfo:
 * unified hosts get the v2 driver; hybrid and legacy hosts the v1 driver (one directory per
 * mounted v1 hierarchy; named hierarchies such as name=systemd are left alone).
 */
export function createCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  const logger = opts.logger ?? noopLogger;
  const root = opts.root ?? DEFAULT_ROOT;
  const self = parseSelfCgroup(opts.selfCgroup ?? readProc('/proc/self/cgroup'));
  const containerId = opts.containerId ?? '';
  const fsOps = opts.fs ? { fs: opts.fs } : {};
  let version = opts.version;
  let layout: ReturnType<typeof detectCgroupLayout> | undefined;
  if (opts.mountinfo !== undefined || version !== 2 || opts.root === undefined) {
    layout = detectCgroupLayout(opts.mountinfo ?? readProc('/proc/self/mountinfo'));
    version ??= layout.mode === 'unified' ? 2 : 1;
  }
  if (version === 2) {
    const own = self.unified ?? '/';
    const path = resolveCgroupsPath(opts.path, containerId, own);
    let hier: CgroupHierarchy | undefined = layout?.unified;
    if (opts.root !== undefined) hier = { mountpoint: opts.root, root: hier?.root ?? '/', controllers: [] };
    if (!hier) throw new BerthError('cgroups_unavailable', 'failed_precondition', 'failed to create cgroup manager: no cgroup2 hierarchy is mounted');
    return new V2CgroupManager({ path, dir: dirIn(hier.mountpoint, hier.root, path), logger, ...fsOps, ...(opts.sys ? { sys: opts.sys } : {}) });
  }
  const dirs = new Map<string, string>();
  let primary: string | undefined;
  for (const [controller, hier] of layout!.v1) {
    if (controller.startsWith('name=')) continue;
    const own = self.v1.get(controller) ?? '/';
    const path = resolveCgroupsPath(opts.path, containerId, own);
    if (controller === 'memory' || primary === undefined) primary = path;
    dirs.set(controller, dirIn(rebase(hier.mountpoint, root), hier.root, path));
  }
  if (primary === undefined) throw new BerthError('cgroups_unavailable', 'failed_precondition', 'failed to create cgroup manager: no cgroup v1 controller is mounted');
  return new V1CgroupManager({ path: primary, dirs, logger, ...fsOps });
}
