/**
 * Unpacks an image's layers into committed snapshots keyed by chain id, independent of the
 * content store: the caller passes `openLayer(digest)`. Layers already committed are skipped,
 * so images sharing a base share its snapshots. Chain ids per the OCI image spec:
 * https://github.com/opencontainers/image-spec/blob/main/config.md#layer-chainid
 */
import { createHash, randomBytes } from 'node:crypto';
import { BerthError, causeText } from '../errors.js';
import type { Logger } from '../logger.js';
import { noopLogger } from '../logger.js';
import { applyLayer, compressionOfMediaType, type ApplyOptions } from '../image/unpack/index.js';
import type { Mount, Snapshotter } from './types.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** chainID(1) = diffID(1); chainID(n) = sha256(chainID(n-1) + " " + diffID(n)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, d] of diffIds.entries()) {
    if (!DIGEST.test(d)) throw new BerthError('invalid_digest', 'invalid_argument', `failed to compute chain id: diff id ${i} ${JSON.stringify(d)} is not a sha256 digest`);
    const prev = out[i - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/** The lower directories (top first) of a snapshot's mounts; empty for a bind mount. */
export function lowerDirs(mounts: readonly Mount[]): string[] {
  const m = mounts[mounts.length - 1];
  const opt = m?.type === 'overlay' ? m.options.find((o) => o.startsWith('lowerdir=')) : undefined;
  return opt ? opt.slice(9).split(':') : [];
}

/** The directory a writable snapshot's changes go to: the overlay upperdir or the rw bind. */
export function writableDir(mounts: readonly Mount[]): string {
  const m = mounts[mounts.length - 1];
  const upper = m?.type === 'overlay' ? m.options.find((o) => o.startsWith('upperdir='))?.slice(9) : undefined;
  if (upper !== undefined) return upper;
  if (m?.type === 'bind' && !m.options.includes('ro')) return m.source;
  throw new BerthError('snapshot_not_writable', 'failed_precondition', `failed to find the writable directory of mounts ${JSON.stringify(mounts)}`);
}

export interface ImageLayer {
  /** Digest of the (possibly compressed) blob, passed to openLayer. */
  digest: string;
  mediaType: string;
}

export interface UnpackImageLayersInput {
  layers: readonly ImageLayer[];
  /** The image config's rootfs.diff_ids, one per layer. */
  diffIds: readonly string[];
  openLayer: (digest: string) => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  snapshotter: Snapshotter;
  /** Passed to applyLayer (limits, syscalls, ...). */
  applyOptions?: Omit<ApplyOptions, 'compression'>;
  logger?: Logger;
}

export interface UnpackImageLayersResult {
  /** Chain id of the top layer: the parent for a container's active snapshot. */
  chainId: string;
  chainIds: string[];
  unpacked: number;
  skipped: number;
}

async function committed(s: Snapshotter, name: string): Promise<boolean> {
  try {
    return (await s.stat(name)).kind === 'committed';
  } catch (err) {
    if (err instanceof BerthError && err.category === 'not_found') return false;
    throw err;
  }
}

export async function unpackImageLayers(input: UnpackImageLayersInput): Promise<UnpackImageLayersResult> {
  const { layers, diffIds, snapshotter } = input;
  const log = input.logger ?? noopLogger;
  if (layers.length !== diffIds.length || layers.length === 0) {
    throw new BerthError('image_invalid', 'invalid_argument', `failed to unpack image: ${layers.length} layers but ${diffIds.length} diff ids`);
  }
  const compressions = layers.map((l, i) => {
    const c = compressionOfMediaType(l.mediaType);
    if (c === undefined) throw new BerthError('image_invalid', 'invalid_argument', `failed to unpack image: layer ${i} (${l.digest}) has unsupported media type ${JSON.stringify(l.mediaType)}`);
    return c;
  });
  const chains = chainIds(diffIds);
  let parent: string | undefined;
  let unpacked = 0;
  let skipped = 0;
  for (const [i, chain] of chains.entries()) {
    const layer = layers[i]!;
    if (await committed(snapshotter, chain)) {
      skipped++;
      parent = chain;
      continue;
    }
    const key = `extract-${randomBytes(6).toString('hex')}-${chain}`;
    const mounts = await snapshotter.prepare(key, parent);
    try {
      const res = await applyLayer(await input.openLayer(layer.digest), writableDir(mounts), {
        ...input.applyOptions,
        compression: compressions[i]!,
        lowerDirs: lowerDirs(mounts),
      });
      if (res.diffId !== diffIds[i]) {
        throw new BerthError('layer_digest_mismatch', 'failed_precondition', `failed to unpack layer ${i} (${layer.digest}): diff id is ${res.diffId}, the image config says ${diffIds[i]}`);
      }
      try {
        await snapshotter.commit(chain, key, { labels: { 'berth.io/diff-id': res.diffId } });
        unpacked++;
      } catch (err) {
        // Another unpack of the same chain committed first: use theirs.
        if (!(err instanceof BerthError && err.category === 'already_exists')) throw err;
        await snapshotter.remove(key);
        skipped++;
      }
    } catch (err) {
      await snapshotter.remove(key).catch((cleanupErr: unknown) => {
        if (!(cleanupErr instanceof BerthError && cleanupErr.category === 'not_found')) {
          log.error('failed to remove snapshot of a failed unpack', { key, err: causeText(cleanupErr) });
        }
      });
      throw err;
    }
    parent = chain;
  }
  return { chainId: chains[chains.length - 1]!, chainIds: chains, unpacked, skipped };
}
