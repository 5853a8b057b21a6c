import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError } from './errors.js';
import { pullImage, type PullProgress } from './pull.js';
import { RegistryClient } from './registry/client.js';
import { addImage, withEnv } from './fake-env.test-helper.js';

const fast = { retries: 3, backoffMs: 1, timeoutMs: 5000 };
const amd64 = { os: 'linux', architecture: 'amd64' };

test('pullImage resolves an index to linux/amd64, stores and verifies every blob, records the image', () =>
  withEnv({}, async (reg, store) => {
    const img = addImage(reg, 'team/app', 'v1', ['layer-one', 'layer-two'], true);
    const events: PullProgress[] = [];
    const r = await pullImage(`${reg.host}/team/app:v1`, { store, registry: fast, platform: amd64, onProgress: (e) => events.push(e) });
    assert.equal(r.digest, img.digest);
    assert.equal(r.manifestDigest, img.manifestDigest);
    assert.deepEqual(r.config.config.Cmd, ['/bin/sh']);
    for (const d of [img.digest, img.manifestDigest, img.cfg.digest, ...img.layers.map((l) => l.digest)]) {
      assert.equal(await store.content.has(d), true, d);
    }
    assert.equal(r.record.name, `${reg.host}/team/app:v1`);
    assert.equal(r.record.platformManifest, img.manifestDigest);
    assert.ok(events.some((e) => e.layer === img.layers[0]?.digest && e.status === 'done' && e.downloaded === 9));
    assert.equal(r.downloadedBytes, 9 + 9 + img.cfg.size);
    const again = await pullImage(`${reg.host}/team/app:v1`, { store, registry: fast, platform: amd64 });
    assert.equal(again.downloadedBytes, 0, 'present blobs are skipped');
    assert.equal((await store.inspect(`${reg.host}/team/app:v1`)).manifestDigest, img.manifestDigest);
  }));

test('pullImage uses a bearer token scoped to the repository and caches it', () =>
  withEnv({ auth: 'bearer', username: 'u', password: 'p' }, async (reg, store) => {
    addImage(reg, 'team/app', 'v1', ['a', 'b']);
    const client = new RegistryClient({ ...fast, credentials: new Map([[reg.host, { username: 'u', password: 'p' }]]) });
    await pullImage(`${reg.host}/team/app:v1`, { store, registry: client });
    const tokenCalls = reg.log.filter((l) => l.url.startsWith('/token'));
    assert.equal(tokenCalls.length, 1);
    assert.match(decodeURIComponent(tokenCalls[0]?.url ?? ''), /scope=repository:team\/app:pull/);
    assert.ok(reg.log.filter((l) => l.url.includes('/blobs/')).every((l) => l.authorization?.startsWith('Bearer tok-')));
    await assert.rejects(
      pullImage(`${reg.host}/team/app:v1`, { store, registry: { ...fast, credentials: new Map([[reg.host, { username: 'u', password: 'bad' }]]) } }),
      (e: unknown) => e instanceof ImageError && e.code === 'unauthorized' && e.message.includes(`${reg.host}/team/app`),
    );
  }));

test('pullImage sends Basic credentials after a Basic challenge and fails unauthorized without them', () =>
  withEnv({ auth: 'basic', username: 'alice', password: 's3cret' }, async (reg, store) => {
    addImage(reg, 'x/y', 't', ['l']);
    await assert.rejects(pullImage(`${reg.host}/x/y:t`, { store, registry: fast }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unauthorized' && e.category === 'permission_denied' && e.message.includes(`${reg.host}/x/y`),
    );
    const r = await pullImage(`${reg.host}/x/y:t`, { store, registry: { ...fast, credentials: new Map([[reg.host, { username: 'alice', password: 's3cret' }]]) } });
    assert.equal(r.record.name, `${reg.host}/x/y:t`);
  }));

test('pullImage reports not_found naming the reference and repository', () =>
  withEnv({}, async (reg, store) => {
    await assert.rejects(pullImage(`${reg.host}/no/such:tag`, { store, registry: fast }), (e: unknown) =>
      e instanceof ImageError && e.code === 'not_found' && /manifest tag/.test(e.message) && e.message.includes(`${reg.host}/no/such`) && /MANIFEST_UNKNOWN/.test(e.message),
    );
  }));

test('pullImage retries 429 and 503, then gives up with unavailable', () =>
  withEnv({}, async (reg, store) => {
    addImage(reg, 'r/a', 't', ['l1']);
    reg.faults.tooMany = 2;
    reg.faults.unavailable = 1;
    await pullImage(`${reg.host}/r/a:t`, { store, registry: fast });
    reg.faults.tooMany = 100;
    await assert.rejects(pullImage(`${reg.host}/r/b:t`, { store, registry: fast }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unavailable' && /429/.test(e.message) && e.message.includes(`${reg.host}/r/b`),
    );
  }));

test('pullImage resumes a blob with Range after the connection drops mid-blob', () =>
  withEnv({}, async (reg, store, root) => {
    const big = 'x'.repeat(300_000) + 'end';
    const img = addImage(reg, 'r/big', 't', [big]);
    // serve the config first so the fault hits the layer
    await pullImage(`${reg.host}/r/big:t`, { store, registry: fast, concurrency: 1 }).catch(() => undefined);
    await store.content.delete(img.layers[0]?.digest ?? '');
    reg.log.length = 0;
    reg.faults.dropMidBlob = 1;
    await pullImage(`${reg.host}/r/big:t`, { store, registry: fast, concurrency: 1 });
    const gets = reg.log.filter((l) => l.method === 'GET' && l.url.includes(img.layers[0]?.digest ?? '?'));
    assert.equal(gets.length, 2);
    assert.match(gets[1]?.range ?? '', /^bytes=\d+-$/);
    assert.notEqual(gets[1]?.range, 'bytes=0-');
    assert.equal((await store.content.readBlob(img.layers[0]?.digest ?? '', 1e6)).length, big.length);
    assert.deepEqual((await readdir(join(root, 'ingest'))).filter((n) => !n.endsWith('.lock')), []);
  }));

test('pullImage fails a corrupted blob with expected and actual digest and records nothing', () =>
  withEnv({}, async (reg, store, root) => {
    const img = addImage(reg, 'r/bad', 't', ['good bytes']);
    const layer = img.layers[0]?.digest ?? '';
    reg.faults.corrupt.add(layer);
    await assert.rejects(pullImage(`${reg.host}/r/bad:t`, { store, registry: fast }), (e: unknown) =>
      e instanceof ImageError && e.code === 'digest_mismatch' && e.message.includes(`expected ${layer}, actual sha256:`),
    );
    assert.equal(await store.content.has(layer), false);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    assert.deepEqual(await store.list(), []);
    reg.faults.corrupt.clear();
    reg.faults.oversize.add(layer);
    await assert.rejects(pullImage(`${reg.host}/r/bad:t`, { store, registry: fast }), /larger than the 10 bytes/);
  }));

test('pullImage follows blob redirects and drops Authorization at the storage host', () =>
  withEnv({ auth: 'bearer', redirectBlobs: true }, async (reg, store) => {
    addImage(reg, 'r/redir', 't', ['stored elsewhere']);
    await pullImage(`${reg.host}/r/redir:t`, { store, registry: fast });
    const storage = reg.log.filter((l) => l.url.startsWith('/store/'));
    assert.ok(storage.length >= 2);
    assert.ok(storage.every((l) => l.authorization === undefined));
  }));

test('concurrent pulls of the same image download each blob once', () =>
  withEnv({}, async (reg, store) => {
    const img = addImage(reg, 'r/c', 't', ['one', 'two', 'three']);
    await Promise.all([1, 2, 3].map(() => pullImage(`${reg.host}/r/c:t`, { store, registry: fast })));
    for (const l of img.layers) {
      assert.equal(reg.log.filter((x) => x.method === 'GET' && x.url.endsWith(l.digest)).length, 1, l.digest);
    }
  }));

test('pullImage rejects a manifest of an unexpected media type naming both types', () =>
  withEnv({}, async (reg, store) => {
    reg.addManifest('r/v1', ['t'], { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    await assert.rejects(pullImage(`${reg.host}/r/v1:t`, { store, registry: fast }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unsupported_media_type' && /expected one of application\/vnd.oci.image.manifest.v1\+json/.test(e.message) && /actual application\/vnd.docker.distribution.manifest.v1\+prettyjws/.test(e.message),
    );
  }));

test('pullImage reports platform_not_found for an index without the platform', () =>
  withEnv({}, async (reg, store) => {
    addImage(reg, 'r/p', 't', ['l'], true);
    await assert.rejects(pullImage(`${reg.host}/r/p:t`, { store, registry: fast, platform: { os: 'linux', architecture: 's390x' } }), /available: linux\/arm64, linux\/amd64/);
  }));
