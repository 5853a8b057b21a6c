import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CAPABILITIES, defaultDevices, defaultSpec, hardenedDefaults } from './defaults.js';
import type { Spec } from './types.js';
import { validateSpec } from './validate.js';

test('defaultSpec matches runc spec with Docker capabilities and masks', () => {
  const s = defaultSpec();
  assert.equal(s.ociVersion, '1.2.0');
  assert.deepEqual(s.process!.args, ['sh']);
  assert.equal(s.process!.terminal, true);
  assert.equal(s.process!.capabilities!.bounding!.length, 14);
  assert.ok(s.process!.capabilities!.bounding!.includes('CAP_AUDIT_WRITE'));
  assert.equal(s.process!.capabilities!.inheritable, undefined);
  assert.deepEqual(s.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  assert.deepEqual(s.mounts!.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  assert.deepEqual(s.mounts![2]!.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.deepEqual(s.mounts![3]!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']);
  assert.deepEqual(s.linux!.namespaces!.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  assert.ok(s.linux!.maskedPaths!.includes('/sys/devices/virtual/powercap'));
  assert.equal(s.linux!.maskedPaths!.length, 11);
  assert.deepEqual(s.linux!.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.deepEqual(validateSpec(s), []);
});

test('defaultSpec options: args, terminal, fresh objects per call', () => {
  const s = defaultSpec({ args: ['echo', 'hi'], terminal: false });
  assert.deepEqual(s.process!.args, ['echo', 'hi']);
  assert.equal(s.process!.terminal, false);
  s.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
  assert.equal(defaultSpec().process!.capabilities!.bounding!.length, DEFAULT_CAPABILITIES.length);
});

test('defaultSpec rootless: user ns mapping the given ids, no network ns, /sys bound, no gid= option', () => {
  const s = defaultSpec({ rootless: true, uid: 1234, gid: 4321 });
  const types = s.linux!.namespaces!.map((n) => n.type);
  assert.ok(types.includes('user') && !types.includes('network'));
  assert.deepEqual(s.linux!.uidMappings, [{ containerID: 0, hostID: 1234, size: 1 }]);
  assert.deepEqual(s.linux!.gidMappings, [{ containerID: 0, hostID: 4321, size: 1 }]);
  assert.equal(s.linux!.resources, undefined);
  const sys = s.mounts!.find((m) => m.destination === '/sys')!;
  assert.deepEqual(sys, { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  assert.ok(!s.mounts!.find((m) => m.destination === '/dev/pts')!.options!.includes('gid=5'));
  assert.deepEqual(validateSpec(s), []);
});

test('defaultDevices lists Docker devices with majors and minors', () => {
  const d = defaultDevices();
  assert.deepEqual(d.map((x) => `${x.path} ${x.major}:${x.minor}`), [
    '/dev/null 1:3', '/dev/zero 1:5', '/dev/full 1:7', '/dev/random 1:8', '/dev/urandom 1:9', '/dev/tty 5:0',
  ]);
  assert.ok(d.every((x) => x.type === 'c' && x.fileMode === 0o666 && x.uid === 0 && x.gid === 0));
});

test('hardenedDefaults fills gaps of an image-derived spec without overriding it', () => {
  const image: Spec = {
    ociVersion: '1.0.2',
    process: { user: { uid: 1000, gid: 1000 }, cwd: '', args: ['/app'], env: ['FOO=1'] },
    mounts: [{ destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] }, { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['size=1g'] }],
    linux: { resources: { devices: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }] } },
  };
  const s = hardenedDefaults(image);
  assert.equal(image.root, undefined, 'input not mutated');
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.process!.user, { uid: 1000, gid: 1000 });
  assert.equal(s.process!.cwd, '/');
  assert.equal(s.process!.env![0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(s.process!.noNewPrivileges, true);
  assert.equal(s.process!.capabilities!.bounding!.length, 14);
  assert.deepEqual(s.root, { path: 'rootfs' });
  const dests = s.mounts!.map((m) => m.destination);
  assert.equal(dests.filter((d) => d === '/dev/shm').length, 1);
  assert.deepEqual(s.mounts!.find((m) => m.destination === '/dev/shm')!.options, ['size=1g']);
  assert.ok(dests.indexOf('/dev') < dests.indexOf('/dev/pts'));
  assert.ok(dests.includes('/data'));
  assert.deepEqual(s.linux!.resources!.devices![0], { allow: false, access: 'rwm' });
  assert.equal(s.linux!.resources!.devices!.length, 2);
  assert.equal(s.linux!.namespaces!.length, 6);
  assert.deepEqual(validateSpec(s), []);
  assert.deepEqual(hardenedDefaults(s), s, 'idempotent');
});
