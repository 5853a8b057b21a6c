/**
 * FROM: the base image from the store (pulled when missing) and its layers unpacked into
 * committed snapshots named by chain id, as snapshot/unpack.ts does for containers (re-done
 * here on the BuildSnapshotter port because image/ sits above snapshot/ in DESIGN.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { BerthError, causeText } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ImageConfig } from '../config.js';
import type { ImageStore } from '../image-store.js';
import type { Descriptor, ImageManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import { pullImage } from '../pull.js';
import type { RegistryClient, RegistryClientOptions } from '../registry/client.js';
import { applyLayer, compressionOfMediaType } from '../unpack/index.js';
import { BuildError } from './errors.js';
import { lowerDirsOf, upperDirOf } from './mounts.js';
import type { BuildSnapshotter } from './ports.js';

/** chainID(n) = sha256(chainID(n-1) + " " + diffID(n)); the first is the diff id itself. */
export function nextChainId(parent: string | undefined, diffId: string): string {
  return parent === undefined ? diffId : `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

export async function isCommitted(s: BuildSnapshotter, name: string): Promise<boolean> {
  try {
    return (await s.stat(name)).kind === 'committed';
  } catch (err) {
    if (err instanceof BerthError && err.category === 'not_found') return false;
    throw err;
  }
}

export interface BaseImage {
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  /** Layer descriptors with Docker media types mapped to their OCI equivalents. */
  readonly layers: Descriptor[];
  /** Chain id of the top layer (undefined for an image without layers). */
  readonly chainId: string | undefined;
}

export async function loadBase(
  image: string,
  opts: { store: ImageStore; registry?: RegistryClient | RegistryClientOptions; logger: Logger },
): Promise<Omit<BaseImage, 'chainId'>> {
  let details;
  try {
    details = await opts.store.inspect(image);
  } catch (err) {
    if (!(err instanceof BerthError && err.category === 'not_found')) throw err;
    try {
      await pullImage(image, { store: opts.store, ...(opts.registry ? { registry: opts.registry } : {}), logger: opts.logger });
    } catch (pullErr) {
      throw new BuildError('base_image_unavailable', `failed to pull base image ${image}: ${causeText(pullErr)}`, { cause: pullErr });
    }
    details = await opts.store.inspect(image);
  }
  const layers = details.manifest.layers.map((l) =>
    l.mediaType === MediaType.dockerLayerGzip ? { ...l, mediaType: MediaType.ociLayerGzip } : { ...l },
  );
  return { manifestDigest: details.manifestDigest, manifest: details.manifest, config: details.config, layers };
}

/** Unpacks the base's layers into committed snapshots; returns the top chain id. */
export async function unpackBase(base: Omit<BaseImage, 'chainId'>, store: ImageStore, snapshotter: BuildSnapshotter, log: Logger): Promise<string | undefined> {
  const diffIds = base.config.rootfs.diff_ids;
  if (diffIds.length !== base.layers.length) {
    throw new BuildError('base_image_unavailable', `failed to use base image: ${base.layers.length} layers but ${diffIds.length} diff ids`);
  }
  let parent: string | undefined;
  for (const [i, layer] of base.layers.entries()) {
    const diffId = diffIds[i] ?? '';
    const chain = nextChainId(parent, diffId);
    if (!(await isCommitted(snapshotter, chain))) {
      const compression = compressionOfMediaType(layer.mediaType);
      if (compression === undefined) throw new BuildError('base_image_unavailable', `failed to unpack base layer ${layer.digest}: unsupported media type ${layer.mediaType}`);
      const key = `build-extract-${randomBytes(6).toString('hex')}`;
      const mounts = await snapshotter.prepare(key, parent);
      try {
        const res = await applyLayer(await store.content.get(layer.digest), upperDirOf(mounts), { compression, lowerDirs: lowerDirsOf(mounts) });
        if (res.diffId !== diffId) throw new BuildError('base_image_unavailable', `failed to unpack base layer ${layer.digest}: diff id ${res.diffId}, config says ${diffId}`);
        await snapshotter.commit(chain, key);
      } catch (err) {
        await snapshotter.remove(key).catch((e: unknown) => log.warn('failed to remove snapshot', { key, err: causeText(e) }));
        if (!(err instanceof BerthError && err.category === 'already_exists')) throw err;
      }
    }
    parent = chain;
  }
  return parent;
}
