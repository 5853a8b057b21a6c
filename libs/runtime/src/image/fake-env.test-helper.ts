import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from './digest.js';
import { ImageStore } from './image-store.js';
import { MediaType } from './media-types.js';
import { FakeRegistry, type FakeRegistryOptions } from './registry/fake-registry.test-helper.js';

/** Test helpers: an image in the fake registry, and a fake registry + temp store per test. */
export function addImage(reg: FakeRegistry, repo: string, tag: string, layers: string[], asIndex = false) {
  const ls = layers.map((l) => reg.addBlob(repo, l));
  const cfg = reg.addBlob(repo, JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: ls.map((_, i) => digestOf(`diff${i}`)) },
  }));
  const manifest = {
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, ...cfg },
    layers: ls.map((l) => ({ mediaType: MediaType.ociLayerGzip, ...l })),
  };
  const mDigest = reg.addManifest(repo, asIndex ? [] : [tag], manifest, MediaType.ociManifest);
  if (!asIndex) return { digest: mDigest, manifestDigest: mDigest, layers: ls, cfg };
  const mSize = Buffer.from(JSON.stringify(manifest)).length;
  const index = {
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: digestOf('other'), size: 5, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: MediaType.ociManifest, digest: mDigest, size: mSize, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  return { digest: reg.addManifest(repo, [tag], index, MediaType.ociIndex), manifestDigest: mDigest, layers: ls, cfg };
}

export async function withEnv(
  regOpts: FakeRegistryOptions,
  fn: (reg: FakeRegistry, store: ImageStore, root: string) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-pull-'));
  const reg = await new FakeRegistry(regOpts).start();
  try {
    await fn(reg, await new ImageStore(root).init(), root);
  } finally {
    await reg.stop();
    await rm(root, { recursive: true, force: true });
  }
}

