import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from './content-store.js';
import { ImageError } from './errors.js';
import { collectGarbage, diskUsage } from './gc.js';
import { ImageRecords } from './image-records.js';
import { createLease } from './leases.js';
import { MediaType } from './media-types.js';

async function fixture(fn: (c: ContentStore, r: ImageRecords, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-gc-'));
  try {
    const c = new ContentStore(root);
    await c.init();
    await fn(c, new ImageRecords(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function storeImage(c: ContentStore, tag: string) {
  const cfg = await c.put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, rootfs: { type: 'layers', diff_ids: [] } })));
  const layer = await c.put(Buffer.from(`layer of ${tag}`));
  const shared = await c.put(Buffer.from('shared layer'));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: cfg.digest, size: cfg.size },
    layers: [layer, shared].map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
  };
  const m = await c.put(Buffer.from(JSON.stringify(manifest)));
  const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [{ mediaType: MediaType.ociManifest, digest: m.digest, size: m.size, platform: { os: 'linux', architecture: 'amd64' } }] };
  const i = await c.put(Buffer.from(JSON.stringify(index)));
  return { cfg, layer, shared, m, i };
}

test('ImageRecords put/get/tag/remove persist atomically in images.json', () =>
  fixture(async (_c, r, root) => {
    const digest = `sha256:${'1'.repeat(64)}`;
    await r.put({ name: 'docker.io/library/busybox:latest', digest, mediaType: MediaType.ociManifest });
    assert.equal((await r.get('busybox')).digest, digest);
    assert.equal((await r.get(digest)).name, 'docker.io/library/busybox:latest');
    await r.tag('busybox', 'localhost:5000/mine:v1');
    assert.deepEqual((await r.list()).map((x) => x.name), ['docker.io/library/busybox:latest', 'localhost:5000/mine:v1']);
    const file = JSON.parse(await readFile(join(root, 'images.json'), 'utf8')) as { version: number; images: unknown[] };
    assert.equal(file.version, 1);
    assert.equal(file.images.length, 2);
    assert.equal((await r.remove('busybox:latest')).length, 1);
    await assert.rejects(r.get('busybox'), (e: unknown) => e instanceof ImageError && e.code === 'image_not_found');
    await assert.rejects(r.tag('nope', 'x'), /failed to find image nope/);
    assert.equal((await r.remove(digest)).length, 1);
    assert.deepEqual(await r.list(), []);
  }));

test('ImageRecords serialise concurrent writers through the lock file', () =>
  fixture(async (_c, r, root) => {
    const other = new ImageRecords(root);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? r : other).put({ name: `docker.io/library/app:t${i}`, digest: `sha256:${'2'.repeat(64)}`, mediaType: MediaType.ociManifest }),
      ),
    );
    assert.equal((await r.list()).length, 20);
  }));

test('collectGarbage keeps everything reachable from records and frees the rest', () =>
  fixture(async (c, r) => {
    const a = await storeImage(c, 'a');
    const b = await storeImage(c, 'b');
    const orphan = await c.put(Buffer.from('orphan'));
    await r.put({ name: 'docker.io/library/a:latest', digest: a.i.digest, mediaType: MediaType.ociIndex });
    await r.put({ name: 'docker.io/library/b:latest', digest: b.m.digest, mediaType: MediaType.ociManifest });
    const du = await diskUsage(c, r);
    assert.equal(du.images, 2);
    // b is recorded by its manifest, so b's index is unreferenced too
    assert.equal(du.reclaimableBytes, orphan.size + b.i.size);
    let res = await collectGarbage(c, r);
    assert.deepEqual([...res.removed].sort(), [orphan.digest, b.i.digest].sort());
    assert.equal(res.freedBytes, orphan.size + b.i.size);
    await r.remove('a');
    res = await collectGarbage(c, r);
    assert.deepEqual([...res.removed].sort(), [a.cfg.digest, a.layer.digest, a.m.digest, a.i.digest].sort());
    assert.equal(await c.has(a.shared.digest), true, 'layer shared with b survives');
    assert.equal(await c.has(b.layer.digest), true);
  }));

test('collectGarbage spares blobs held by a live lease', () =>
  fixture(async (c, r, root) => {
    const blob = await c.put(Buffer.from('being pulled'));
    const lease = await createLease(root);
    await lease.add(blob.digest);
    assert.deepEqual((await collectGarbage(c, r)).removed, []);
    await lease.release();
    assert.deepEqual((await collectGarbage(c, r)).removed, [blob.digest]);
  }));
