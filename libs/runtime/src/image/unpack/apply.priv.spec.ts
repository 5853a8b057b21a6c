import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLayer } from './apply.js';
import { diffDirectories } from './diff.js';
import { makedev, nativeLayerSyscalls } from './native.js';
import { readTar } from './tar.js';
import { chunked, describeTree, readAll, tarOf } from './testing.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-apply-priv-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const layer = () =>
  tarOf([
    { name: 'bin/', uid: 0, gid: 0, mtime: 100 },
    { name: 'bin/su', text: 'suid', mode: 0o4755, uid: 1000, gid: 1001, mtime: 200 },
    { name: 'bin/sh', type: 'symlink', linkname: 'su', uid: 1000, gid: 1001, mtime: 300 },
    { name: 'bin/ping', text: 'cap', mode: 0o755, xattrs: new Map([['security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')], ['user.note', Buffer.from('hi')]]) },
    { name: 'bin/sh-hard', type: 'hardlink', linkname: 'bin/su' },
    { name: 'tmp/', mode: 0o1777, mtime: 400 },
    { name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 },
    { name: 'dev/sda', type: 'block', mode: 0o660, devmajor: 8, devminor: 0, gid: 6 },
    { name: 'run/fifo', type: 'fifo', mode: 0o620 },
    { name: 'etc/opaque/', mode: 0o700 },
    { name: 'etc/opaque/.wh..wh..opq' },
    { name: 'etc/opaque/new', text: 'new' },
    { name: 'etc/.wh.removed', uid: 5, gid: 5 },
    { name: `long/${'n'.repeat(120)}/${'m'.repeat(120)}`, text: 'long' },
  ]);

test('applyLayer as root preserves ownership, special modes, xattrs, devices and makes overlay whiteouts', { skip }, async () => {
  await withTmp(async (dir) => {
    const sys = nativeLayerSyscalls();
    const dest = join(dir, 'layer');
    await applyLayer(chunked(await layer()), dest);
    const su = lstatSync(join(dest, 'bin/su'));
    assert.deepEqual([su.uid, su.gid, su.mode & 0o7777, su.mtimeMs, su.nlink], [1000, 1001, 0o4755, 200_000, 2]);
    const sh = lstatSync(join(dest, 'bin/sh'));
    assert.deepEqual([sh.isSymbolicLink(), sh.uid, sh.mtimeMs], [true, 1000, 300_000]);
    assert.equal(sys.lgetxattr(join(dest, 'bin/ping'), 'user.note')?.toString(), 'hi');
    assert.equal(sys.lgetxattr(join(dest, 'bin/ping'), 'security.capability')?.toString('hex'), '0100000200200000000000000000000000000000');
    assert.equal(lstatSync(join(dest, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(join(dest, 'tmp')).mtimeMs, 400_000);
    const nul = lstatSync(join(dest, 'dev/null'));
    assert.deepEqual([nul.isCharacterDevice(), nul.rdev, nul.mode & 0o777], [true, makedev(1, 3), 0o666]);
    const sda = lstatSync(join(dest, 'dev/sda'));
    assert.deepEqual([sda.isBlockDevice(), sda.rdev, sda.gid], [true, makedev(8, 0), 6]);
    assert.ok(lstatSync(join(dest, 'run/fifo')).isFIFO());
    const wh = lstatSync(join(dest, 'etc/removed'));
    assert.deepEqual([wh.isCharacterDevice(), wh.rdev, wh.uid], [true, 0, 5]);
    assert.equal(sys.lgetxattr(join(dest, 'etc/opaque'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(lstatSync(join(dest, 'etc/opaque')).mode & 0o7777, 0o700);
  });
});

test('diffDirectories turns an upper dir back into a layer that applyLayer reproduces exactly', { skip }, async () => {
  await withTmp(async (dir) => {
    const sys = nativeLayerSyscalls();
    const a = join(dir, 'a');
    await applyLayer(chunked(await layer()), a);
    const tar1 = await readAll(diffDirectories(a, { mtime: 1_700_000_000 }));
    const tar2 = await readAll(diffDirectories(a, { mtime: 1_700_000_000 }));
    assert.deepEqual(tar1, tar2, 'diff output is deterministic');
    const names: string[] = [];
    for await (const e of readTar(chunked(tar1))) names.push(`${e.header.type}:${e.header.name}`);
    assert.ok(names.includes('file:etc/.wh.removed'));
    assert.ok(names.includes('file:etc/opaque/.wh..wh..opq'));
    assert.ok(names.includes('hardlink:bin/su') || names.includes('hardlink:bin/sh-hard'));
    const b = join(dir, 'b');
    await applyLayer(chunked(tar1), b);
    const describe = (root: string) => describeTree(root, { sys }).map((l) => l);
    assert.deepEqual(describe(b), describe(a));
    assert.equal(lstatSync(join(b, 'bin/su')).nlink, 2);
    assert.equal(lstatSync(join(b, 'bin/su')).mtimeMs, 1_700_000_000_000);
    // Without a fixed mtime the files' own (second-truncated) mtimes are kept.
    const c = join(dir, 'c');
    await applyLayer(diffDirectories(a), c);
    assert.deepEqual(describeTree(c, { sys, mtimes: true }), describeTree(a, { sys, mtimes: true }));
  });
});
