import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageConfig } from './config.js';
import { digestOf } from './digest.js';
import { ImageError } from './errors.js';
import { childDescriptors, parseImageIndex, parseImageManifest, parseManifest } from './manifest.js';
import { MediaType } from './media-types.js';
import { defaultPlatform, parsePlatform, selectManifest } from './platform.js';

const d = (s: string) => digestOf(s);
const desc = (mediaType: string, s: string, extra: object = {}) => ({ mediaType, digest: d(s), size: s.length, ...extra });

const ociManifest = {
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: desc(MediaType.ociConfig, 'cfg'),
  layers: [desc(MediaType.ociLayerGzip, 'l1'), desc(MediaType.ociLayerZstd, 'l2')],
};
const index = (entries: Array<[string, string, string?]>) => ({
  schemaVersion: 2,
  mediaType: MediaType.dockerManifestList,
  manifests: entries.map(([os, architecture, variant], i) =>
    desc(MediaType.dockerManifest, `m${i}`, { platform: { os, architecture, ...(variant ? { variant } : {}) } }),
  ),
});

test('parseManifest reads an OCI manifest and lists config and layers as children', () => {
  const p = parseManifest(JSON.stringify(ociManifest));
  assert.equal(p.kind, 'manifest');
  assert.deepEqual(childDescriptors(p).map((x) => x.digest), [d('cfg'), d('l1'), d('l2')]);
});

test('parseManifest takes the media type from Content-Type when the document omits it', () => {
  const { mediaType: _m, ...bare } = ociManifest;
  assert.equal(parseManifest(JSON.stringify(bare), { contentType: `${MediaType.ociManifest}; charset=utf-8` }).mediaType, MediaType.ociManifest);
  const idx = parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] }));
  assert.equal(idx.kind, 'index');
});

test('parseImageManifest rejects an index naming expected and actual media types', () => {
  assert.throws(
    () => parseImageManifest(JSON.stringify(index([['linux', 'amd64']]))),
    (e: unknown) =>
      e instanceof ImageError &&
      e.code === 'unsupported_media_type' &&
      e.message.includes(`expected one of ${MediaType.ociManifest}, ${MediaType.dockerManifest}`) &&
      e.message.includes(`actual ${MediaType.dockerManifestList}`),
  );
  assert.throws(() => parseImageIndex(JSON.stringify(ociManifest)), /actual application\/vnd.oci.image.manifest.v1\+json/);
  assert.throws(
    () => parseManifest(JSON.stringify({ ...ociManifest, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' })),
    /actual application\/vnd.docker.distribution.manifest.v1\+json/,
  );
});

const badManifests: Array<[string, unknown, RegExp]> = [
  ['not JSON', '{', /not valid JSON/],
  ['an array', [], /expected a JSON object/],
  ['schemaVersion 1', { ...ociManifest, schemaVersion: 1 }, /unsupported schemaVersion 1/],
  ['missing layers', { ...ociManifest, layers: undefined }, /no layers array/],
  ['bad layer digest', { ...ociManifest, layers: [{ ...desc(MediaType.ociLayer, 'x'), digest: 'sha256:zz' }] }, /layers\[0\]\.digest/],
  ['negative size', { ...ociManifest, config: { ...desc(MediaType.ociConfig, 'c'), size: -1 } }, /config\.size must be a non-negative integer/],
  ['docker manifest with OCI config', { ...ociManifest, mediaType: MediaType.dockerManifest }, /config media type: expected application\/vnd.docker.container.image.v1\+json/],
  ['index entry without platform os', { ...index([]), manifests: [{ ...desc(MediaType.ociManifest, 'x'), platform: { architecture: 'amd64' } }] }, /manifests\[0\]\.platform needs string os/],
];
for (const [name, doc, re] of badManifests) {
  test(`parseManifest rejects ${name}`, () => {
    assert.throws(() => parseManifest(typeof doc === 'string' ? doc : JSON.stringify(doc)), re);
  });
}

test('selectManifest picks os/arch/variant and names available platforms when none match', () => {
  const idx = parseImageIndex(JSON.stringify(index([['linux', 'amd64'], ['linux', 'arm64', 'v8'], ['linux', 'arm', 'v6'], ['linux', 'arm', 'v7'], ['windows', 'amd64']])));
  assert.equal(selectManifest(idx, { os: 'linux', architecture: 'amd64' }).digest, d('m0'));
  assert.equal(selectManifest(idx, parsePlatform('linux/aarch64')).digest, d('m1'));
  assert.equal(selectManifest(idx, parsePlatform('linux/arm/v7')).digest, d('m3'));
  assert.equal(selectManifest(idx, parsePlatform('linux/arm/v6')).digest, d('m2'));
  assert.equal(selectManifest(idx, parsePlatform('windows/amd64')).digest, d('m4'));
  assert.throws(
    () => selectManifest(idx, parsePlatform('linux/s390x')),
    (e: unknown) => e instanceof ImageError && e.code === 'platform_not_found' && /available: linux\/amd64, linux\/arm64\/v8, linux\/arm\/v6/.test(e.message),
  );
});

test('defaultPlatform maps process.arch to Go names', () => {
  assert.deepEqual(defaultPlatform('x64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(defaultPlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(defaultPlatform('arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.throws(() => parsePlatform('linux'), /expected os\/architecture/);
});

test('parseImageConfig keeps the runtime fields and accepts Docker nulls', () => {
  const cfg = parseImageConfig(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: ['/bin/sh'], Cmd: null, Env: ['PATH=/bin'], WorkingDir: '/w', User: '1000:1000',
        ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, StopSignal: 'SIGQUIT', Labels: { a: 'b' }, Hostname: 'ignored',
      },
      rootfs: { type: 'layers', diff_ids: [d('a')] },
    }),
  );
  assert.deepEqual(cfg.config, {
    Entrypoint: ['/bin/sh'], Env: ['PATH=/bin'], WorkingDir: '/w', User: '1000:1000',
    ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, StopSignal: 'SIGQUIT', Labels: { a: 'b' },
  });
  assert.deepEqual(cfg.rootfs.diff_ids, [d('a')]);
});

const badConfigs: Array<[string, object, RegExp]> = [
  ['no os', { architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }, /os is missing/],
  ['bad rootfs type', { architecture: 'amd64', os: 'linux', rootfs: { type: 'x', diff_ids: [] } }, /rootfs.type must be "layers"/],
  ['bad diff id', { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:1'] } }, /rootfs.diff_ids\[0\]/],
  ['Cmd string', { architecture: 'amd64', os: 'linux', config: { Cmd: 'sh' }, rootfs: { type: 'layers', diff_ids: [] } }, /config.Cmd must be an array of strings/],
  ['Env without =', { architecture: 'amd64', os: 'linux', config: { Env: ['X'] }, rootfs: { type: 'layers', diff_ids: [] } }, /Env entry "X" has no "="/],
];
for (const [name, doc, re] of badConfigs) {
  test(`parseImageConfig rejects ${name}`, () => {
    assert.throws(() => parseImageConfig(JSON.stringify(doc)), (e: unknown) => e instanceof ImageError && e.code === 'invalid_config' && re.test(e.message));
  });
}
