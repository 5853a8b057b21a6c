import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../errors.js';
import { defaultSpec } from '../spec/defaults.js';
import type { Spec } from '../spec/types.js';
import { parseMountOptions } from './plan-options.js';
import { planRootfs } from './plan.js';
import { MS } from './types.js';

const files = new Set(['/etc/hosts', '/bundle/resolv.conf']);
const dirs = new Set(['/srv/data', '/bundle/vol', '/dev']);
const fakeStat = (p: string) => {
  if (files.has(p)) return { isDirectory: () => false };
  if (dirs.has(p)) return { isDirectory: () => true };
  throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${p}'`), { code: 'ENOENT' });
};

const flagCases: [string[], number, number[], string][] = [
  [[], 0, [], ''],
  [['ro'], MS.RDONLY, [], ''],
  [['ro', 'rw'], 0, [], ''],
  [['nosuid', 'suid'], 0, [], ''],
  [['nodev', 'noexec', 'nosuid'], MS.NODEV | MS.NOEXEC | MS.NOSUID, [], ''],
  [['noexec', 'exec', 'nodev', 'dev'], 0, [], ''],
  [['bind'], MS.BIND, [], ''],
  [['rbind'], MS.BIND | MS.REC, [], ''],
  [['relatime'], MS.RELATIME, [], ''],
  [['relatime', 'norelatime'], 0, [], ''],
  [['strictatime'], MS.STRICTATIME, [], ''],
  [['noatime', 'nodiratime'], MS.NOATIME | MS.NODIRATIME, [], ''],
  [['sync'], MS.SYNCHRONOUS, [], ''],
  [['sync', 'async'], 0, [], ''],
  [['remount', 'mand'], MS.REMOUNT | MS.MANDLOCK, [], ''],
  [['mand', 'nomand'], 0, [], ''],
  [['dirsync', 'nosymfollow'], MS.DIRSYNC | MS.NOSYMFOLLOW, [], ''],
  [['private'], 0, [MS.PRIVATE], ''],
  [['rprivate', 'rslave'], 0, [MS.PRIVATE | MS.REC, MS.SLAVE | MS.REC], ''],
  [['slave', 'shared', 'rshared'], 0, [MS.SLAVE, MS.SHARED, MS.SHARED | MS.REC], ''],
  [['unbindable', 'runbindable'], 0, [MS.UNBINDABLE, MS.UNBINDABLE | MS.REC], ''],
  [['nosuid', 'mode=755', 'size=65536k', 'defaults'], MS.NOSUID, [], 'mode=755,size=65536k'],
  [['newinstance', 'ptmxmode=0666', 'gid=5'], 0, [], 'newinstance,ptmxmode=0666,gid=5'],
];

for (const [opts, flags, prop, data] of flagCases) {
  test(`parseMountOptions ${JSON.stringify(opts)}`, () => {
    assert.deepEqual(parseMountOptions(opts, 'm'), { flags, propagation: prop, data });
  });
}

test('parseMountOptions rejects runc extensions the plan cannot express', () => {
  assert.throws(() => parseMountOptions(['rbind', 'rro'], 'mounts[2] /data'), (e: unknown) => {
    assert.ok(e instanceof BerthError && e.code === 'unsupported_mount_option');
    assert.equal(e.message, 'failed to plan mount mounts[2] /data: option "rro" is not supported');
    return true;
  });
});

test('planRootfs on the default spec', () => {
  const plan = planRootfs(defaultSpec(), '/bundle', { stat: fakeStat });
  assert.equal(plan.rootfs, '/bundle/rootfs');
  assert.equal(plan.readonlyRoot, true);
  assert.equal(plan.rootPropagation, MS.SLAVE | MS.REC);
  assert.deepEqual(plan.mounts.map((m) => [m.target, m.fstype, m.source]), [
    ['/proc', 'proc', 'proc'], ['/dev', 'tmpfs', 'tmpfs'], ['/dev/pts', 'devpts', 'devpts'], ['/dev/shm', 'tmpfs', 'shm'],
    ['/dev/mqueue', 'mqueue', 'mqueue'], ['/sys', 'sysfs', 'sysfs'], ['/sys/fs/cgroup', 'cgroup', 'cgroup'],
  ]);
  const dev = plan.mounts[1]!;
  assert.equal(dev.flags, MS.NOSUID | MS.STRICTATIME);
  assert.equal(dev.data, 'mode=755,size=65536k');
  assert.equal(dev.remountFlags, 0);
  assert.equal(plan.mounts[5]!.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.equal(plan.mounts[6]!.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY);
  assert.deepEqual(plan.devices.map((d) => d.path), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.deepEqual(plan.symlinks, [
    { path: '/dev/fd', target: '/proc/self/fd' },
    { path: '/dev/stdin', target: '/proc/self/fd/0' },
    { path: '/dev/stdout', target: '/proc/self/fd/1' },
    { path: '/dev/stderr', target: '/proc/self/fd/2' },
    { path: '/dev/core', target: '/proc/kcore' },
    { path: '/dev/ptmx', target: 'pts/ptmx' },
  ]);
  assert.equal(plan.maskedPaths.length, 11);
  assert.equal(plan.readonlyPaths[3], '/proc/sys');
});

test('bind mounts: bundle-relative sources, file binds, remount flags, propagation', () => {
  const spec: Spec = { ociVersion: '1.2.0', root: { path: '/var/lib/rootfs' }, mounts: [
    { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] },
    { destination: '/data/', source: '/srv/data', options: ['rbind', 'rprivate'] },
    { destination: '/vol', type: 'none', source: 'vol', options: ['bind', 'nosuid', 'nodev', 'rslave'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: 'resolv.conf' },
  ] };
  const plan = planRootfs(spec, '/bundle', { stat: fakeStat });
  assert.equal(plan.rootfs, '/var/lib/rootfs');
  assert.equal(plan.readonlyRoot, false);
  const [hosts, data, vol, resolv] = plan.mounts;
  assert.deepEqual(hosts, { source: '/etc/hosts', target: '/etc/hosts', fstype: '', flags: MS.BIND | MS.REC | MS.RDONLY, data: '', propagation: [], remountFlags: MS.BIND | MS.REC | MS.RDONLY | MS.REMOUNT, createAs: 'file' });
  assert.equal(data!.target, '/data');
  assert.equal(data!.createAs, 'dir');
  assert.equal(data!.remountFlags, 0);
  assert.deepEqual(data!.propagation, [MS.PRIVATE | MS.REC]);
  assert.equal(vol!.source, '/bundle/vol');
  assert.equal(vol!.flags, MS.BIND | MS.NOSUID | MS.NODEV);
  assert.equal(vol!.remountFlags, MS.BIND | MS.NOSUID | MS.NODEV | MS.REMOUNT);
  assert.deepEqual(vol!.propagation, [MS.SLAVE | MS.REC]);
  assert.equal(resolv!.source, '/bundle/resolv.conf');
  assert.equal(resolv!.flags, MS.BIND);
  assert.equal(resolv!.createAs, 'file');
  assert.deepEqual(plan.symlinks.map((s) => s.path), ['/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr'], 'no /proc, no devpts');
});

test('devices: spec devices merge with defaults, deduped by path', () => {
  const spec = defaultSpec();
  spec.linux!.devices = [
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
    { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5, gid: 6 },
    { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660 },
  ];
  const plan = planRootfs(spec, '/bundle', { stat: fakeStat });
  assert.deepEqual(plan.devices.map((d) => d.path), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse', '/dev/sda']);
  assert.deepEqual(plan.devices[0], { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5, gid: 6 });
  assert.deepEqual(plan.devices[6], { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 });
  assert.equal(plan.devices[7]!.type, 'b');
});

test('a bind-mounted /dev gets no device nodes or symlinks, like runc', () => {
  const spec = defaultSpec();
  spec.mounts![1] = { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] };
  const plan = planRootfs(spec, '/bundle', { stat: fakeStat });
  assert.deepEqual(plan.devices, []);
  assert.deepEqual(plan.symlinks, []);
});

test('rootfsPropagation maps to flags', () => {
  const spec = defaultSpec();
  for (const [name, flags] of [['private', MS.PRIVATE], ['rshared', MS.SHARED | MS.REC], ['runbindable', MS.UNBINDABLE | MS.REC], ['slave', MS.SLAVE]] as const) {
    spec.linux!.rootfsPropagation = name;
    assert.equal(planRootfs(spec, '/bundle', { stat: fakeStat }).rootPropagation, flags, name);
  }
});

test('planRootfs errors name what is wrong', () => {
  const spec = defaultSpec();
  assert.throws(() => planRootfs(spec, 'bundle'), /bundle directory "bundle" is not absolute/);
  spec.mounts!.push({ destination: '/x', type: 'bind', source: '/missing' });
  assert.throws(() => planRootfs(spec, '/bundle', { stat: fakeStat }), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.category, 'not_found');
    assert.equal(e.path, '/missing');
    assert.match(e.message, /^failed to plan mount \/x: stat \/missing: ENOENT/);
    return true;
  });
  spec.mounts!.pop();
  spec.mounts!.push({ destination: '/y', source: 'foo' });
  assert.throws(() => planRootfs(spec, '/bundle', { stat: fakeStat }), /mounts\[7\] \/y has no filesystem type/);
  const noRoot = defaultSpec();
  delete noRoot.root;
  assert.throws(() => planRootfs(noRoot, '/bundle'), /root\.path is missing/);
});
