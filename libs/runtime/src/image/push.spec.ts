import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addImage, withEnv } from './fake-env.test-helper.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';

const fast = { retries: 2, backoffMs: 1, timeoutMs: 5000 };

test('pushImage uploads blobs monolithically, then the manifest with its media type; digests unchanged', () =>
  withEnv({}, async (reg, store) => {
    const img = addImage(reg, 'src/app', 'v1', ['layer-a', 'layer-b']);
    await pullImage(`${reg.host}/src/app:v1`, { store, registry: fast });
    reg.blobs.clear();
    reg.links.clear();
    const r = await pushImage(`${reg.host}/src/app:v1`, `${reg.host}/dst/app:v2`, { store, registry: fast });
    assert.equal(r.digest, img.digest);
    assert.deepEqual(r.blobs.map((b) => b.outcome), ['uploaded', 'uploaded', 'uploaded']);
    assert.equal(reg.manifests.get('dst/app:v2')?.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    for (const l of img.layers) assert.ok(reg.blobs.has(l.digest));
    assert.equal(reg.log.filter((l) => l.method === 'PATCH').length, 0);
    const again = await pushImage(`${reg.host}/src/app:v1`, `${reg.host}/dst/app:v2`, { store, registry: fast });
    assert.deepEqual(again.blobs.map((b) => b.outcome), ['exists', 'exists', 'exists'], 'HEAD finds existing blobs');
  }));

test('pushImage uses chunked PATCH uploads above chunkSize', () =>
  withEnv({}, async (reg, store) => {
    const img = addImage(reg, 'src/big', 't', ['0123456789'.repeat(10)]);
    await pullImage(`${reg.host}/src/big:t`, { store, registry: fast });
    reg.blobs.clear();
    reg.links.clear();
    await pushImage(`${reg.host}/src/big:t`, `${reg.host}/other/big:t`, { store, registry: fast, chunkSize: 30 });
    const patches = reg.log.filter((l) => l.method === 'PATCH');
    assert.ok(patches.length >= 4, `expected >= 4 PATCH chunks for a 100-byte layer, got ${patches.length}`);
    assert.equal(reg.blobs.get(img.layers[0]?.digest ?? '')?.toString(), '0123456789'.repeat(10));
  }));

test('pushImage mounts blobs across repositories of the same registry', () =>
  withEnv({}, async (reg, store) => {
    addImage(reg, 'src/m', 't', ['shared']);
    await pullImage(`${reg.host}/src/m:t`, { store, registry: fast });
    const before = reg.log.length;
    const r = await pushImage(`${reg.host}/src/m:t`, `${reg.host}/dst/m:t`, { store, registry: fast });
    assert.deepEqual(r.blobs.map((b) => b.outcome), ['mounted', 'mounted']);
    const posts = reg.log.slice(before).filter((l) => l.method === 'POST');
    assert.ok(posts.every((l) => /mount=sha256%3A[0-9a-f]{64}&from=src%2Fm/.test(l.url)), JSON.stringify(posts));
    assert.equal(reg.log.slice(before).filter((l) => l.method === 'PUT' && l.url.includes('/blobs/uploads/')).length, 0);
  }));

test('pushImage of an unknown local image fails with image_not_found', () =>
  withEnv({}, async (reg, store) => {
    await assert.rejects(pushImage(`${reg.host}/none:t`, undefined, { store, registry: fast }), /failed to find image/);
  }));
