import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectCgroupLayout, parseSelfCgroup } from './layout.js';
import { resolveCgroupsPath } from './paths.js';

const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/net_cls,net_prio rw,relatime shared:7 - cgroup cgroup rw,net_cls,net_prio
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;

test('detectCgroupLayout: hybrid host with comma-joined v1 hierarchies', () => {
  const l = detectCgroupLayout(HYBRID);
  assert.equal(l.mode, 'hybrid');
  assert.equal(l.v1.get('cpu')?.mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1.get('cpuacct'), l.v1.get('cpu'));
  assert.deepEqual(l.v1.get('net_prio')?.controllers, ['net_cls', 'net_prio']);
  assert.deepEqual(l.v1.get('name=systemd')?.controllers, ['name=systemd']);
  assert.equal(l.unified?.mountpoint, '/sys/fs/cgroup/unified');
});

test('detectCgroupLayout: unified host, escaped mountpoint, bind mount does not win', () => {
  const l = detectCgroupLayout(`25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
90 20 0:22 /kubepods /var/lib/my\\040dir rw - cgroup2 cgroup2 rw
`);
  assert.equal(l.mode, 'unified');
  assert.equal(l.v1.size, 0);
  assert.deepEqual(l.unified, { mountpoint: '/sys/fs/cgroup', root: '/', controllers: [] });
  const only = detectCgroupLayout('90 20 0:22 /kubepods /var/lib/my\\040dir rw - cgroup2 cgroup2 rw\n');
  assert.equal(only.unified?.mountpoint, '/var/lib/my dir');
  assert.equal(only.unified?.root, '/kubepods');
});

test('detectCgroupLayout: legacy host; errors name the problem', () => {
  assert.equal(detectCgroupLayout('34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n').mode, 'legacy');
  assert.throws(() => detectCgroupLayout('1 2 3 / / rw - ext4 /dev/vda rw\n'), { code: 'cgroups_unavailable', category: 'failed_precondition' });
  assert.throws(() => detectCgroupLayout('garbage line\n'), /line 1: no " - " separator/);
});

test('parseSelfCgroup: per-controller paths and the v2 line', () => {
  const s = parseSelfCgroup('9:name=systemd:/\n4:memory:/process_api/2655\n2:cpu,cpuacct:/\n0::/\n');
  assert.equal(s.v1.get('memory'), '/process_api/2655');
  assert.equal(s.v1.get('cpuacct'), '/');
  assert.equal(s.v1.get('name=systemd'), '/');
  assert.equal(s.unified, '/');
  assert.throws(() => parseSelfCgroup('nonsense'), { category: 'invalid_argument' });
});

test('resolveCgroupsPath: OCI table', () => {
  const rows: [string | undefined, string, string, string][] = [
    [undefined, 'c1', '/process_api/abc', '/process_api/abc/berth/c1'],
    [undefined, 'c1', '/', '/berth/c1'],
    ['/a/b', 'c1', '/process_api/abc', '/a/b'],
    ['/a//b/', 'c1', '/', '/a/b'],
    ['x/y', 'c1', '/process_api/abc', '/process_api/abc/x/y'],
    ['x', 'c1', '/', '/x'],
  ];
  for (const [p, id, own, want] of rows) assert.equal(resolveCgroupsPath(p, id, own), want, `${p} ${own}`);
});

test('resolveCgroupsPath: rejects .., empty, root, systemd form and bad ids', () => {
  for (const [p, id, re] of [
    ['../escape', 'c', /"\.\." component/],
    ['/a/../../b', 'c', /"\.\." component/],
    ['', 'c', /empty/],
    ['/', 'c', /hierarchy root/],
    ['system.slice:berth:c1', 'c', /systemd/],
    [undefined, '..', /container id/],
    [undefined, 'a/b', /container id/],
  ] as const) {
    assert.throws(() => resolveCgroupsPath(p, id, '/'), (e: unknown) => e instanceof Error && re.test(e.message) && (e as { category?: string }).category === 'invalid_argument');
  }
});
