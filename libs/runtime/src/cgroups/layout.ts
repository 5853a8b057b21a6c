import { BerthError } from '../errors.js';

/** One mounted cgroup hierarchy. */
export interface CgroupHierarchy {
  /** Where it is mounted, e.g. `/sys/fs/cgroup/cpu,cpuacct`. */
  mountpoint: string;
  /** The cgroup the mount shows at its mountpoint (usually `/`; not `/` inside a cgroupns). */
  root: string;
  /** v1 controllers of this hierarchy (`['cpu','cpuacct']`), or named ones as `name=systemd`. */
  controllers: string[];
}

/**
 * The cgroup layout of a host. `mode`: `unified` (v2 only, at /sys/fs/cgroup), `hybrid` (v1
 * controllers plus a v2 mount, typically /sys/fs/cgroup/unified) or `legacy` (v1 only).
 * On hybrid hosts the manager uses v1 for controllers.
 */
export interface CgroupLayout {
  mode: 'unified' | 'hybrid' | 'legacy';
  /** v1 controller name -> its hierarchy (comma-joined mounts appear under every controller). */
  v1: Map<string, CgroupHierarchy>;
  unified?: CgroupHierarchy;
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

const V1_MOUNT_OPTS = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'clone_children', 'xattr', 'noprefix', 'cpuset_v2_mode']);

/** Reads the layout from the text of /proc/self/mountinfo (see proc(5)). */
export function detectCgroupLayout(mountinfo: string): CgroupLayout {
  const v1 = new Map<string, CgroupHierarchy>();
  let unified: CgroupHierarchy | undefined;
  for (const [i, line] of mountinfo.split('\n').entries()) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) throw new BerthError('invalid_mountinfo', 'invalid_argument', `failed to parse mountinfo line ${i + 1}: no " - " separator`);
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const root = left[3];
    const mountpoint = left[4];
    if (root === undefined || mountpoint === undefined) {
      throw new BerthError('invalid_mountinfo', 'invalid_argument', `failed to parse mountinfo line ${i + 1}: too few fields`);
    }
    const h = { mountpoint: unescape(mountpoint), root: unescape(root) };
    if (fstype === 'cgroup2') {
      // Prefer the first mount that shows the hierarchy root (later ones are usually binds).
      if (!unified || (unified.root !== '/' && h.root === '/')) unified = { ...h, controllers: [] };
    } else if (fstype === 'cgroup') {
      const controllers = superOpts.split(',').filter((o) => !V1_MOUNT_OPTS.has(o) && !o.startsWith('release_agent='));
      const hier = { ...h, controllers };
      for (const c of controllers) {
        const prev = v1.get(c);
        if (!prev || (prev.root !== '/' && hier.root === '/')) v1.set(c, hier);
      }
    }
  }
  const hasV1Controllers = [...v1.keys()].some((c) => !c.startsWith('name='));
  if (!hasV1Controllers && !unified) {
    throw new BerthError('cgroups_unavailable', 'failed_precondition', 'failed to detect cgroup layout: no cgroup or cgroup2 mount in mountinfo');
  }
  if (!hasV1Controllers) return { mode: 'unified', v1, ...(unified ? { unified } : {}) };
  return { mode: unified ? 'hybrid' : 'legacy', v1, ...(unified ? { unified } : {}) };
}

/** The caller's own cgroups, parsed from /proc/self/cgroup. */
export interface SelfCgroups {
  /** v1 controller (or `name=systemd`) -> path. */
  v1: Map<string, string>;
  /** Path in the v2 hierarchy (the `0::` line). */
  unified?: string;
}

export function parseSelfCgroup(text: string): SelfCgroups {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) throw new BerthError('invalid_self_cgroup', 'invalid_argument', `failed to parse /proc/self/cgroup line ${i + 1}: ${JSON.stringify(line)}`);
    const [, id, ctrls = '', path = '/'] = m;
    if (id === '0' && ctrls === '') unified = path;
    else for (const c of ctrls.split(',')) if (c) v1.set(c, path);
  }
  return { v1, ...(unified !== undefined ? { unified } : {}) };
}
