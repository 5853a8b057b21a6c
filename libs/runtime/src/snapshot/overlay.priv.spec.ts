import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunked, tarOf } from '../image/unpack/testing.js';
import { OverlaySnapshotter } from './overlay.js';
import { mountAt } from './testing.js';
import { unpackImageLayers, writableDir } from './unpack.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const TAR = 'application/vnd.oci.image.layer.v1.tar';

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'berth-snap-priv-'));
  try {
    await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function unpack(s: OverlaySnapshotter, tars: Buffer[]): Promise<string> {
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const blobs = new Map(tars.map((t) => [sha(t), t]));
  const r = await unpackImageLayers({
    layers: tars.map((t) => ({ digest: sha(t), mediaType: TAR })),
    diffIds: tars.map(sha),
    openLayer: (d) => chunked(blobs.get(d)!),
    snapshotter: s,
  });
  return r.chainId;
}

test('overlay snapshots of a 3-layer chain mount with deletions, an opaque dir, and writes going to the upper dir', { skip }, async () => {
  await withRoot(async (root) => {
    const s = new OverlaySnapshotter({ root });
    const top = await unpack(s, [
      await tarOf([{ name: 'etc/keep', text: 'k' }, { name: 'etc/gone', text: 'g' }, { name: 'opq/old', text: 'o' }, { name: 'opq/sub/old2', text: 'o' }, { name: 'bin/x', text: 'x' }]),
      await tarOf([{ name: 'etc/.wh.gone' }, { name: 'opq/' }, { name: 'opq/.wh..wh..opq' }, { name: 'opq/new', text: 'n' }]),
      await tarOf([{ name: 'etc/added', text: 'a' }, { name: '.wh.bin' }]),
    ]);
    const mounts = await s.prepare('ctr', top);
    const target = join(root, 'merged');
    mkdirSync(target);
    const umount = mountAt(mounts, target);
    try {
      assert.deepEqual(readdirSync(target).sort(), ['etc', 'opq']);
      assert.deepEqual(readdirSync(join(target, 'etc')).sort(), ['added', 'keep']);
      assert.deepEqual(readdirSync(join(target, 'opq')), ['new']);
      writeFileSync(join(target, 'etc/written'), 'w');
      unlinkSync(join(target, 'etc/keep'));
      const upper = writableDir(mounts);
      assert.equal(readFileSync(join(upper, 'etc/written'), 'utf8'), 'w');
      const wh = lstatSync(join(upper, 'etc/keep'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'deleting a lower file leaves a whiteout in the upper dir');
    } finally {
      umount();
    }
    // A read-only view of the same chain.
    const view = join(root, 'view');
    mkdirSync(view);
    const umountView = mountAt(await s.view('v', top), view);
    try {
      assert.deepEqual(readdirSync(join(view, 'etc')).sort(), ['added', 'keep']);
      assert.throws(() => writeFileSync(join(view, 'etc/x'), 'x'), /EROFS|read-only/);
    } finally {
      umountView();
    }
  });
});

test('overlay snapshots of a 200-layer chain mount as one overlay within the page limit', { skip }, async () => {
  await withRoot(async (root) => {
    const s = new OverlaySnapshotter({ root });
    const tars: Buffer[] = [];
    const expected = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const entries: Parameters<typeof tarOf>[0] = [{ name: `d/f${i}`, text: String(i) }, { name: `top${i}`, text: '' }];
      if (i % 7 === 0 && i > 0) {
        entries.push({ name: `d/.wh.f${i - 1}` });
        expected.delete(`d/f${i - 1}`);
      }
      if (i === 100) {
        entries.push({ name: 'd/.wh..wh..opq' });
        for (const e of [...expected]) if (e.startsWith('d/')) expected.delete(e);
      }
      if (i % 3 === 0 && i > 0) {
        entries.push({ name: `.wh.top${i - 3}` });
        expected.delete(`top${i - 3}`);
      }
      expected.add(`d/f${i}`);
      expected.add(`top${i}`);
      tars.push(await tarOf(entries));
    }
    const top = await unpack(s, tars);
    const mounts = await s.prepare('ctr', top);
    assert.equal(mounts.length, 1);
    const data = mounts[0]!.options.join(',');
    assert.ok(data.length <= 4095, `mount data ${data.length} bytes`);
    assert.match(data, /\/flat$/, 'the bottom of the chain is flattened');
    const target = join(root, 'merged');
    mkdirSync(target);
    const umount = mountAt(mounts, target);
    try {
      const seen = new Set([...readdirSync(target).filter((n) => n !== 'd'), ...readdirSync(join(target, 'd')).map((n) => `d/${n}`)]);
      assert.deepEqual([...seen].sort(), [...expected].sort());
      assert.equal(readFileSync(join(target, 'd/f150'), 'utf8'), '150');
    } finally {
      umount();
    }
    assert.ok(!existsSync(join(target, 'd')), 'unmounted');
  });
});
