import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MS, type RootfsPlan } from '../rootfs/types.js';
import { expandCgroupMounts } from './cgroup-mounts.js';

const plan: RootfsPlan = {
  rootfs: '/b/rootfs',
  rootPropagation: MS.REC | MS.SLAVE,
  readonlyRoot: false,
  mounts: [
    { source: 'proc', target: '/proc', fstype: 'proc', flags: 0, data: '', propagation: [], remountFlags: 0, createAs: 'dir' },
    { source: 'cgroup', target: '/sys/fs/cgroup', fstype: 'cgroup', flags: MS.RDONLY | MS.NOSUID, data: '', propagation: [], remountFlags: 0, createAs: 'dir' },
  ],
  devices: [],
  symlinks: [],
  maskedPaths: [],
  readonlyPaths: [],
};

test('a cgroup mount becomes a tmpfs with one read-only bind per hierarchy, then a read-only remount', () => {
  const out = expandCgroupMounts(plan, ['/sys/fs/cgroup/memory/p/berth/c1/cgroup.procs', '/sys/fs/cgroup/pids/berth/c1/cgroup.procs']);
  assert.deepEqual(
    out.mounts.map((m) => [m.fstype || 'bind', m.target, m.source]),
    [
      ['proc', '/proc', 'proc'],
      ['tmpfs', '/sys/fs/cgroup', 'tmpfs'],
      ['bind', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/memory/p/berth/c1'],
      ['bind', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/berth/c1'],
      ['bind', '/sys/fs/cgroup', ''],
    ],
  );
  assert.ok((out.mounts[2]!.remountFlags & MS.RDONLY) !== 0);
  assert.ok((out.mounts[4]!.flags & MS.REMOUNT) !== 0 && (out.mounts[4]!.flags & MS.RDONLY) !== 0);
  assert.equal(plan.mounts.length, 2, 'input plan untouched');
});

test('a read-write cgroup mount keeps its binds writable and gets no final remount', () => {
  const rw = { ...plan, mounts: [{ ...plan.mounts[1]!, flags: 0 }] };
  const out = expandCgroupMounts(rw, ['/sys/fs/cgroup/unified/x/cgroup.procs']);
  assert.equal(out.mounts.length, 2);
  assert.equal(out.mounts[1]!.remountFlags & MS.RDONLY, 0);
  assert.equal(out.mounts[1]!.target, '/sys/fs/cgroup/unified');
});
