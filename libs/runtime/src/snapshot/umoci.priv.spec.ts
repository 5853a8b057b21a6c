/**
 * Cross-check with an independent implementation: an image built by umoci from busybox-static
 * (layers with a deletion and an opaque directory), unpacked by applyLayer into overlay
 * snapshots and mounted, must match `umoci unpack` of the same image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTree, tarOf } from '../image/unpack/testing.js';
import { OverlaySnapshotter } from './overlay.js';
import { mountAt } from './testing.js';
import { unpackImageLayers } from './unpack.js';

const hasUmoci = spawnSync('umoci', ['--version']).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root' : !hasUmoci ? 'umoci not installed' : false;

function umoci(...args: string[]): void {
  execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

interface Descriptor {
  mediaType: string;
  digest: string;
}

function blob(layout: string, digest: string): string {
  return join(layout, 'blobs', ...digest.split(':'));
}

test('layers of a umoci-built busybox image unpack into overlay snapshots identical to umoci unpack', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-umoci-'));
  const merged = join(dir, 'merged');
  let umount: (() => void) | undefined;
  try {
    const img = join(dir, 'img');
    const bundle = join(dir, 'bundle');
    umoci('init', '--layout', img);
    umoci('new', '--image', `${img}:t`);
    umoci('unpack', '--image', `${img}:t`, bundle);
    const rootfs = join(bundle, 'rootfs');
    // Layer 1: busybox with applet symlinks, a setuid file, owned files, a hard link.
    mkdirSync(join(rootfs, 'bin'));
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    for (const applet of ['sh', 'ls', 'cat']) symlinkSync('busybox', join(rootfs, 'bin', applet));
    mkdirSync(join(rootfs, 'etc'));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc/shadow'), 'root:*:1::::::\n');
    chmodSync(join(rootfs, 'etc/shadow'), 0o640);
    chownSync(join(rootfs, 'etc/shadow'), 0, 42);
    mkdirSync(join(rootfs, 'data/sub'), { recursive: true });
    writeFileSync(join(rootfs, 'data/a'), 'a');
    writeFileSync(join(rootfs, 'data/sub/b'), 'b');
    writeFileSync(join(rootfs, 'bin/suid'), '#!/bin/sh\n');
    chmodSync(join(rootfs, 'bin/suid'), 0o4755);
    linkSync(join(rootfs, 'etc/passwd'), join(rootfs, 'etc/passwd.hard'));
    mkdirSync(join(rootfs, 'home/user'), { recursive: true });
    chownSync(join(rootfs, 'home/user'), 1000, 1000);
    chmodSync(join(rootfs, 'home/user'), 0o700);
    umoci('repack', '--refresh-bundle', '--image', `${img}:t`, bundle);
    // Layer 2: a deletion (umoci writes a whiteout), a change and an addition.
    unlinkSync(join(rootfs, 'etc/shadow'));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
    writeFileSync(join(rootfs, 'home/user/.profile'), 'export PS1=x\n');
    chownSync(join(rootfs, 'home/user/.profile'), 1000, 1000);
    umoci('repack', '--refresh-bundle', '--image', `${img}:t`, bundle);
    // Layer 3: an opaque directory, written by Berth's tar writer and added verbatim.
    const opaque = join(dir, 'opaque.tar');
    writeFileSync(opaque, await tarOf([{ name: 'data/', mode: 0o755 }, { name: 'data/.wh..wh..opq' }, { name: 'data/only', text: 'only' }]));
    umoci('raw', 'add-layer', '--image', `${img}:t`, opaque);
    const ref = join(dir, 'ref');
    umoci('unpack', '--image', `${img}:t`, ref);

    // Read the layout: index -> manifest -> config.
    const index = JSON.parse(readFileSync(join(img, 'index.json'), 'utf8')) as { manifests: (Descriptor & { annotations?: Record<string, string> })[] };
    const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 't');
    assert.ok(desc, 'tag t in index.json');
    const manifest = JSON.parse(readFileSync(blob(img, desc.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
    const config = JSON.parse(readFileSync(blob(img, manifest.config.digest), 'utf8')) as { rootfs: { diff_ids: string[] } };
    assert.equal(manifest.layers.length, 3);

    const s = new OverlaySnapshotter({ root: join(dir, 'snapshots') });
    const r = await unpackImageLayers({
      layers: manifest.layers,
      diffIds: config.rootfs.diff_ids,
      openLayer: (d) => createReadStream(blob(img, d)),
      snapshotter: s,
    });
    assert.equal(r.unpacked, 3);
    mkdirSync(merged);
    umount = mountAt(await s.view('check', r.chainId), merged);
    const ours = describeTree(merged);
    const theirs = describeTree(join(ref, 'rootfs'));
    assert.deepEqual(ours, theirs);
    assert.ok(ours.some((l) => l.startsWith('data/only file')));
    assert.ok(!ours.some((l) => l.startsWith('data/a ') || l.startsWith('etc/shadow')));
    assert.ok(ours.includes('bin/sh symlink->busybox 0:0'));
    assert.equal(execFileSync(join(merged, 'bin/busybox'), ['cat', join(merged, 'data/only')]).toString(), 'only');
  } finally {
    umount?.();
    rmSync(dir, { recursive: true, force: true });
  }
});
