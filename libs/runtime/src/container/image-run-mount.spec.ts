import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MS } from '../rootfs/index.js';
import { FakeSyscalls, MNT } from '../sys/index.js';
import { mountAll, mountArgs } from './image-run-mount.js';

const cases = [
  {
    name: 'overlay: kernel options go to data',
    m: { type: 'overlay' as const, source: 'overlay', options: ['workdir=/w', 'upperdir=/u', 'lowerdir=/a:/b'] },
    want: { flags: 0, data: 'workdir=/w,upperdir=/u,lowerdir=/a:/b' },
  },
  { name: 'rw rbind', m: { type: 'bind' as const, source: '/s', options: ['rw', 'rbind'] }, want: { flags: MS.BIND | MS.REC, data: '' } },
  { name: 'ro bind', m: { type: 'bind' as const, source: '/s', options: ['ro', 'rbind'] }, want: { flags: MS.BIND | MS.REC | MS.RDONLY, data: '' } },
  { name: 'overlay view ro', m: { type: 'overlay' as const, source: 'overlay', options: ['ro', 'lowerdir=/a:/b'] }, want: { flags: MS.RDONLY, data: 'lowerdir=/a:/b' } },
];
for (const c of cases) test(`mountArgs: ${c.name}`, () => assert.deepEqual(mountArgs(c.m), c.want));

const dir = mkdtempSync(join(tmpdir(), 'berth-mount-spec-'));
for (const d of ['b/rootfs', 'c/rootfs', 'r/sub']) mkdirSync(join(dir, d), { recursive: true });
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('mountAll mounts an overlay with its data and remounts a read-only bind', () => {
  const sys = new FakeSyscalls();
  mountAll(sys, [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/u', 'workdir=/w'] }], join(dir, 'b/rootfs'));
  mountAll(sys, [{ type: 'bind', source: '/layer', options: ['ro', 'rbind'] }], join(dir, 'c/rootfs'));
  const mounts = sys.calls.filter((c) => c.name === 'mount').map((c) => c.args);
  assert.deepEqual(mounts, [
    ['overlay', join(dir, 'b/rootfs'), 'overlay', 0, 'lowerdir=/a,upperdir=/u,workdir=/w'],
    ['/layer', join(dir, 'c/rootfs'), null, MS.BIND | MS.REC, null],
    [null, join(dir, 'c/rootfs'), null, MS.REMOUNT | MS.BIND | MS.RDONLY, null],
  ]);
});

test('mountAll undoes earlier mounts when a later one fails, and rejects escaping targets', () => {
  const sys = new FakeSyscalls();
  sys.fail('mount', 'EPERM', { when: (args) => args[1] === join(dir, 'r/sub') });
  assert.throws(
    () =>
      mountAll(
        sys,
        [
          { type: 'bind', source: '/x', options: ['rbind'] },
          { type: 'bind', source: '/y', target: 'sub', options: ['rbind'] },
        ],
        join(dir, 'r'),
      ),
    /EPERM/,
  );
  assert.deepEqual(sys.calls.filter((c) => c.name === 'umount2').map((c) => c.args), [[join(dir, 'r'), MNT.DETACH]]);
  assert.throws(() => mountAll(new FakeSyscalls(), [{ type: 'bind', source: '/y', target: '../../etc', options: ['rbind'] }], join(dir, 'r')), /leaves the rootfs/);
});
