import { basename, dirname } from 'node:path';
import { MS, type PlannedMount, type RootfsPlan } from '../rootfs/types.js';

/**
 * A spec mount of type `cgroup` (runc spec puts one at /sys/fs/cgroup) cannot be a plain cgroup
 * mount on a v1 host: like runc, it becomes a tmpfs with one read-only bind per hierarchy of the
 * container's own cgroup directories (e.g. /sys/fs/cgroup/memory -> <host>/memory/.../<id>),
 * and the tmpfs is made read-only afterwards when the mount asked for `ro`.
 * `procsFiles` are the container's `<dir>/cgroup.procs` files, one per hierarchy.
 */
export function expandCgroupMounts(plan: RootfsPlan, procsFiles: string[]): RootfsPlan {
  const mounts: PlannedMount[] = [];
  for (const m of plan.mounts) {
    if (m.fstype !== 'cgroup' && m.fstype !== 'cgroup2') {
      mounts.push(m);
      continue;
    }
    const ro = (m.flags & MS.RDONLY) !== 0;
    const base = MS.NOSUID | MS.NODEV | MS.NOEXEC;
    mounts.push({ source: 'tmpfs', target: m.target, fstype: 'tmpfs', flags: base, data: 'mode=755', propagation: [], remountFlags: 0, createAs: 'dir' });
    for (const file of procsFiles) {
      const dir = dirname(file);
      const hierarchy = hierarchyName(dir);
      if (!hierarchy) continue;
      mounts.push({
        source: dir,
        target: `${m.target}/${hierarchy}`,
        fstype: '',
        flags: MS.BIND | MS.REC,
        data: '',
        propagation: [],
        remountFlags: base | (ro ? MS.RDONLY : 0),
        createAs: 'dir',
      });
    }
    if (ro) {
      mounts.push({ source: '', target: m.target, fstype: '', flags: MS.REMOUNT | MS.BIND | MS.RDONLY | base, data: '', propagation: [], remountFlags: 0, createAs: 'dir' });
    }
  }
  return { ...plan, mounts };
}

/** `memory` for /sys/fs/cgroup/memory/a/b; `unified` for the v2 mount of a hybrid host. */
function hierarchyName(dir: string): string | undefined {
  const m = /^\/sys\/fs\/cgroup\/([^/]+)/.exec(dir);
  if (m) return m[1];
  const b = basename(dir);
  return b || undefined;
}
