import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ImageError,
  credentialsFromDockerConfig,
  ImageStore,
  RegistryClient,
  generateSigningKeyPair,
  parsePolicy,
  pullImage,
  pushImage,
  signImage,
  verifyImageSignature,
  type PullProgress,
} from '@berth/runtime';
import { registryTestSkip, startRegistry, type TestRegistry } from '../fixtures/registry.js';
import { buildBusyboxImage, skopeoInspect, skopeoInspectRaw, skopeoPull, skopeoPush, type BusyboxImage } from '../fixtures/images.js';

const skip = registryTestSkip();
const sha256 = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const fast = { retries: 2, backoffMs: 20, timeoutMs: 20_000 };

let reg: TestRegistry;
let image: BusyboxImage;
let root: string;
let store: ImageStore;

before(async () => {
  if (skip) return;
  reg = await startRegistry();
  image = await buildBusyboxImage({ layers: 3, payloadBytes: 2 * 1024 * 1024, cmd: ['/bin/sh', '-c', 'echo hi'] });
  await skopeoPush(image.ociRef, `${reg.host}/test/busybox:t`);
  root = await mkdtemp(join(tmpdir(), 'berth-store-'));
  store = await new ImageStore(root).init();
});

after(async () => {
  if (skip) return;
  await reg?.stop();
  await image?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});

test('Berth pulls what skopeo pushed to docker-registry, with digests equal to skopeo inspect --raw', { skip }, async () => {
  const raw = await skopeoInspectRaw(`${reg.host}/test/busybox:t`);
  const info = await skopeoInspect(`${reg.host}/test/busybox:t`);
  const events: PullProgress[] = [];
  const r = await pullImage(`${reg.host}/test/busybox:t`, { store, registry: fast, onProgress: (e) => events.push(e) });
  assert.equal(r.digest, sha256(raw));
  assert.equal(r.digest, info.Digest);
  assert.deepEqual(r.manifest.layers.map((l) => l.digest), info.Layers);
  assert.equal(r.manifest.layers.length, 3);
  assert.deepEqual(r.config.config.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.equal((await store.content.readBlob(r.digest)).toString(), raw);
  for (const l of info.Layers) assert.equal(await store.content.has(l), true);
  assert.ok(events.filter((e) => e.status === 'done').length === 4, 'config + 3 layers done');
  const pinned = await pullImage(`${reg.host}/test/busybox@${info.Digest}`, { store, registry: fast });
  assert.equal(pinned.downloadedBytes, 0);
  assert.equal(pinned.record.name, `${reg.host}/test/busybox@${info.Digest}`);
});

test('Berth pulls a Docker schema2 image (skopeo --format v2s2) and pushes it back byte-identical', { skip }, async () => {
  await skopeoPush(image.ociRef, `${reg.host}/test/docker:t`, 'v2s2');
  const raw = await skopeoInspectRaw(`${reg.host}/test/docker:t`);
  assert.match(raw, /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  const r = await pullImage(`${reg.host}/test/docker:t`, { store, registry: fast });
  assert.equal(r.digest, sha256(raw));
  assert.equal(r.record.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const pushed = await pushImage(`${reg.host}/test/docker:t`, `${reg.host}/berth/docker:t`, { store, registry: fast });
  assert.equal(sha256(await skopeoInspectRaw(`${reg.host}/berth/docker:t`)), r.digest);
  assert.equal(pushed.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
});

test('what Berth pushes (monolithic, chunked, mounted) skopeo reads back with identical digests', { skip }, async () => {
  await pullImage(`${reg.host}/test/busybox:t`, { store, registry: fast });
  const mono = await pushImage(`${reg.host}/test/busybox:t`, `${reg.host}/berth/mono:v1`, { store, registry: fast });
  assert.ok(mono.blobs.every((b) => b.outcome === 'mounted'), JSON.stringify(mono.blobs));
  await store.records.put({ ...(await store.records.get(`${reg.host}/test/busybox:t`)), name: `${reg.host}/elsewhere/x:t` });
  const chunked = await pushImage(`${reg.host}/elsewhere/x:t`, `${reg.host}/berth/chunked:v1`, { store, registry: fast, chunkSize: 256 * 1024 });
  assert.ok(chunked.blobs.every((b) => b.outcome === 'uploaded'), JSON.stringify(chunked.blobs));
  for (const [repo, pushed] of [['berth/mono', mono], ['berth/chunked', chunked]] as const) {
    const raw = await skopeoInspectRaw(`${reg.host}/${repo}:v1`);
    assert.equal(sha256(raw), pushed.digest, repo);
    const layout = await mkdtemp(join(tmpdir(), 'berth-skopeo-'));
    try {
      await skopeoPull(`${reg.host}/${repo}:v1`, layout, 'v1');
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      assert.equal(index.manifests[0]?.digest, pushed.digest);
      for (const l of (await store.inspect(`${reg.host}/test/busybox:t`)).manifest.layers) {
        const data = await readFile(join(layout, 'blobs', 'sha256', l.digest.slice(7)));
        assert.equal(sha256(data), l.digest);
      }
    } finally {
      await rm(layout, { recursive: true, force: true });
    }
  }
});

test('sign and verify round trip through docker-registry, and a pull policy that requires it', { skip }, async () => {
  const keys = generateSigningKeyPair();
  const client = new RegistryClient(fast);
  const signed = await signImage(`${reg.host}/test/busybox:t`, { client, privateKey: keys.privateKeyPem });
  const raw = await skopeoInspectRaw(`${reg.host}/test/busybox:${signed.signatureTag}`);
  assert.match(raw, /application\/vnd\.dev\.cosign\.simplesigning\.v1\+json/);
  const ok = await verifyImageSignature(client, { registry: reg.host, repository: 'test/busybox' }, signed.imageDigest, [keys.publicKeyPem]);
  assert.equal(ok[0]?.payload.critical.image['docker-manifest-digest'], signed.imageDigest);
  const policy = parsePolicy({ [`${reg.host}/test`]: { requireSignature: true, keys: [keys.publicKeyPem] } });
  const pulled = await pullImage(`${reg.host}/test/busybox:t`, { store, registry: client, policy });
  assert.equal(pulled.digest, signed.imageDigest);
  const other = parsePolicy({ [`${reg.host}/test`]: { requireSignature: true, keys: [generateSigningKeyPair().publicKeyPem] } });
  await assert.rejects(pullImage(`${reg.host}/test/busybox:t`, { store, registry: client, policy: other }), (e: unknown) => e instanceof ImageError && e.code === 'signature_invalid');
  await assert.rejects(pullImage(`${reg.host}/berth/mono:v1`, { store, registry: client, policy: parsePolicy({ [reg.host]: { requireSignature: true, keys: [keys.publicKeyPem] } }) }), (e: unknown) => e instanceof ImageError && e.code === 'signature_required');
});

test('docker-registry errors: unknown tag is not_found naming the repository', { skip }, async () => {
  await assert.rejects(pullImage(`${reg.host}/test/busybox:nope`, { store, registry: fast }), (e: unknown) =>
    e instanceof ImageError && e.code === 'not_found' && e.message.includes(`${reg.host}/test/busybox`) && /MANIFEST_UNKNOWN/.test(e.message),
  );
});

test('HTTPS registry with a custom CA: push and pull with the CA, refused without it', { skip }, async () => {
  const tls = await startRegistry({ tls: true });
  const other = await mkdtemp(join(tmpdir(), 'berth-ca-'));
  const tlsRoot = await mkdtemp(join(tmpdir(), 'berth-store-'));
  try {
    const host = tls.host;
    const withCa = new RegistryClient({ ...fast, caByRegistry: new Map([[host, tls.ca ?? '']]) });
    assert.equal(withCa.baseUrl(host).protocol, 'https:');
    const pushed = await pushImage(`${reg.host}/test/busybox:t`, `${host}/secure/busybox:t`, { store, registry: withCa });
    const tlsStore = await new ImageStore(tlsRoot).init();
    const pulled = await pullImage(`${host}/secure/busybox:t`, { store: tlsStore, registry: withCa });
    assert.equal(pulled.digest, pushed.digest);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=wrong CA'], { cwd: other, stdio: 'pipe' });
    const wrongCa = new RegistryClient({ ...fast, caByRegistry: new Map([[host, await readFile(join(other, 'ca.pem'), 'utf8')]]) });
    await assert.rejects(pullImage(`${host}/secure/busybox:t`, { store: tlsStore, registry: wrongCa }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unavailable' && /certificate/i.test(e.message) && /after 1 attempts/.test(e.message),
    );
  } finally {
    await tls.stop();
    await rm(tlsRoot, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  }
});

test('htpasswd (Basic) registry: unauthorized without credentials, push and pull with a Docker config.json', { skip }, async () => {
  const auth = await startRegistry({ htpasswd: { username: 'berth', password: 'pa55:word' } });
  const authRoot = await mkdtemp(join(tmpdir(), 'berth-store-'));
  try {
    const anonymous = new RegistryClient(fast);
    await assert.rejects(pushImage(`${reg.host}/test/busybox:t`, `${auth.host}/private/busybox:t`, { store, registry: anonymous }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unauthorized' && e.message.includes(`${auth.host}/private/busybox`),
    );
    const dockerConfig = { auths: { [auth.host]: { auth: Buffer.from('berth:pa55:word').toString('base64') } } };
    const client = new RegistryClient({ ...fast, credentials: credentialsFromDockerConfig(dockerConfig) });
    const pushed = await pushImage(`${reg.host}/test/busybox:t`, `${auth.host}/private/busybox:t`, { store, registry: client });
    const pulled = await pullImage(`${auth.host}/private/busybox:t`, { store: await new ImageStore(authRoot).init(), registry: client });
    assert.equal(pulled.digest, pushed.digest);
    assert.equal((await client.ping(auth.host)).status, 200);
    assert.equal((await anonymous.ping(auth.host)).status, 401);
  } finally {
    await auth.stop();
    await rm(authRoot, { recursive: true, force: true });
  }
});
