import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingLayerSyscalls } from '../image/unpack/testing.js';
import { OverlaySnapshotter } from './overlay.js';
import { snapshotterSuite } from './suite.js';
import { writableDir } from './unpack.js';
import { BerthError } from '../errors.js';

snapshotterSuite('overlay', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-snap-'));
  const syscalls = new RecordingLayerSyscalls();
  return {
    snapshotter: new OverlaySnapshotter({ root, syscalls }),
    applyOptions: { syscalls, ignoreOwnership: true },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

function withRoot(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-snap-'));
    try {
      await fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** Commits a chain of n layers, each with file `f<i>`; returns the top name. */
async function chain(s: OverlaySnapshotter, n: number): Promise<string> {
  let parent: string | undefined;
  for (let i = 0; i < n; i++) {
    const dir = writableDir(await s.prepare(`tmp${i}`, parent));
    writeFileSync(join(dir, `f${i}`), String(i));
    await s.commit(`l${i}`, `tmp${i}`);
    parent = `l${i}`;
  }
  return parent!;
}

test('overlay mounts: bind for a base, ro bind for a one-layer view, overlay with lowerdirs top first', withRoot(async (root) => {
  const s = new OverlaySnapshotter({ root, syscalls: new RecordingLayerSyscalls() });
  const snap = (id: number, sub: string) => join(root, 'snapshots', String(id), sub);
  assert.deepEqual(await s.prepare('base'), [{ type: 'bind', source: snap(1, 'fs'), options: ['rw', 'rbind'] }]);
  await s.commit('l1', 'base');
  assert.deepEqual(await s.view('v', 'l1'), [{ type: 'bind', source: snap(1, 'fs'), options: ['ro', 'rbind'] }]);
  await s.prepare('x', 'l1');
  await s.commit('l2', 'x');
  assert.deepEqual(await s.prepare('c', 'l2'), [{
    type: 'overlay', source: 'overlay',
    options: [`workdir=${snap(4, 'work')}`, `upperdir=${snap(4, 'fs')}`, `lowerdir=${snap(3, 'fs')}:${snap(1, 'fs')}`],
  }]);
  assert.deepEqual(await s.view('v2', 'l2'), [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${snap(3, 'fs')}:${snap(1, 'fs')}`] }]);
  assert.ok(statSync(snap(4, 'work')).isDirectory());
}));

test('overlay long chains keep the mount data within the limit by flattening the bottom once', withRoot(async (root) => {
  const s = new OverlaySnapshotter({ root, syscalls: new RecordingLayerSyscalls(), maxMountData: 400, flattenStep: 4 });
  const top = await chain(s, 30);
  const flats = readdirSync(join(root, 'snapshots')).filter((d) => existsSync(join(root, 'snapshots', d, 'flat')));
  assert.ok(flats.length <= 30 / 4, `${flats.length} flat trees for 30 layers with step 4`);
  const [m] = await s.prepare('c', top);
  assert.ok(m && m.type === 'overlay');
  const data = m.options.join(',');
  assert.ok(data.length <= 400, `mount data is ${data.length} bytes`);
  const lower = m.options.find((o) => o.startsWith('lowerdir='))!.slice(9).split(':');
  const flat = lower[lower.length - 1]!;
  assert.match(flat, /\/flat$/);
  assert.ok(lower.length > 3, 'as many layers as fit stay separate');
  // The flat tree holds the files of every flattened layer, as hard links.
  const kept = lower.length - 1;
  for (let i = 0; i < 30 - kept; i++) assert.equal(readFileSync(join(flat, `f${i}`), 'utf8'), String(i));
  assert.ok(!existsSync(join(flat, `f${30 - kept}`)));
  assert.equal(statSync(join(flat, 'f0')).ino, statSync(join(root, 'snapshots', '1', 'fs', 'f0')).ino);
  // A second user of the same chain reuses it.
  const [m2] = await s.view('v', top);
  assert.equal(m2!.options[0]!.split(':').pop(), flat);
  await assert.rejects(s.remove('l29'), (e: unknown) => e instanceof BerthError && e.code === 'snapshot_has_children');
}));

test('overlay with more layers than the kernel stacks (500) flattens too', withRoot(async (root) => {
  const s = new OverlaySnapshotter({ root, syscalls: new RecordingLayerSyscalls(), maxLowerLayers: 5 });
  const top = await chain(s, 8);
  const [m] = await s.prepare('c', top);
  const lower = m!.options.find((o) => o.startsWith('lowerdir='))!.slice(9).split(':');
  assert.equal(lower.length, 5);
}));

test('overlay rejects a root that cannot appear in mount options', () => {
  assert.throws(() => new OverlaySnapshotter({ root: '/tmp/a:b' }), /must be absolute and free of ',' and ':'/);
  assert.throws(() => new OverlaySnapshotter({ root: 'relative' }), /must be absolute/);
});

test('overlay metadata survives a new instance and a stale lock of a dead process is broken', withRoot(async (root) => {
  const s1 = new OverlaySnapshotter({ root, syscalls: new RecordingLayerSyscalls() });
  await s1.prepare('a');
  writeFileSync(join(root, 'metadata.lock'), '999999999');
  const s2 = new OverlaySnapshotter({ root, syscalls: new RecordingLayerSyscalls() });
  await s2.commit('b', 'a');
  assert.equal((await s1.stat('b')).kind, 'committed');
  assert.ok(!existsSync(join(root, 'metadata.lock')));
}));
