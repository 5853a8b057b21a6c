import { createReadStream } from 'node:fs';
import { noopLogger, type Logger } from '../logger.js';
import { ImageError } from './errors.js';
import type { ImageStore } from './image-store.js';
import { parseManifest, type Descriptor, type ParsedManifest } from './manifest.js';
import { formatReference, parseReference, referenceTarget, type ImageReference } from './reference.js';
import type { RegistryClient, RegistryClientOptions, RepoRef } from './registry/client.js';
import { putManifest } from './registry/manifests.js';
import { uploadBlob, type UploadOutcome } from './registry/upload.js';
import { mapLimit, toClient } from './pull.js';

export interface PushProgress {
  readonly digest: string;
  readonly size: number;
  readonly status: 'checking' | UploadOutcome;
}

export interface PushOptions {
  readonly store: ImageStore;
  readonly registry?: RegistryClient | RegistryClientOptions;
  /** Parallel blob uploads (default 3). */
  readonly concurrency?: number;
  /** Chunked PATCH uploads for blobs larger than this; monolithic PUT otherwise. */
  readonly chunkSize?: number;
  readonly onProgress?: (event: PushProgress) => void;
  readonly logger?: Logger;
}

export interface PushResult {
  readonly reference: string;
  /** Digest of the top-level manifest pushed (stored bytes unchanged, so digests match). */
  readonly digest: string;
  readonly mediaType: string;
  readonly blobs: ReadonlyArray<{ digest: string; outcome: UploadOutcome }>;
}

/**
 * Pushes a stored image `source` to `target` (default: its own name): blobs first (existence
 * check, cross-repo mount when source and target share a registry, monolithic or chunked
 * upload), then child manifests by digest, then the top manifest under the target tag with its
 * media type. An index whose other platforms were never pulled is pushed as the platform manifest.
 */
export async function pushImage(source: string, target: string | undefined, opts: PushOptions): Promise<PushResult> {
  const store = opts.store;
  const record = await store.records.get(source);
  const sourceRef = parseReference(record.name);
  const ref: ImageReference = target ? parseReference(target) : sourceRef;
  const client = toClient(opts.registry, opts.logger);
  const log = (opts.logger ?? noopLogger).child({ image: formatReference(ref) });
  const repo: RepoRef = { registry: ref.registry, repository: ref.repository };
  const mountFrom = sourceRef.registry === ref.registry && sourceRef.repository !== ref.repository ? sourceRef.repository : undefined;

  let topDigest = record.digest;
  let top = parseManifest(await store.content.readBlob(topDigest), { what: `manifest ${topDigest}` });
  if (top.kind === 'index') {
    const missing = [];
    for (const d of top.index.manifests) if (!(await store.content.has(d.digest))) missing.push(d.digest);
    if (missing.length > 0) {
      if (!record.platformManifest) {
        throw new ImageError('blob_not_found', `failed to push ${source}: index children missing locally: ${missing.join(', ')}`);
      }
      log.info('pushing platform manifest only; other platforms were not pulled', { missing: missing.length });
      topDigest = record.platformManifest;
      top = parseManifest(await store.content.readBlob(topDigest), { what: `manifest ${topDigest}` });
    }
  }
  const manifests: Array<{ digest: string; parsed: ParsedManifest }> =
    top.kind === 'index'
      ? await Promise.all(
          top.index.manifests.map(async (d) => ({
            digest: d.digest,
            parsed: parseManifest(await store.content.readBlob(d.digest), { what: `manifest ${d.digest}` }),
          })),
        )
      : [{ digest: topDigest, parsed: top }];
  const blobs = new Map<string, Descriptor>();
  for (const m of manifests) {
    if (m.parsed.kind !== 'manifest') throw new ImageError('invalid_manifest', `failed to push ${source}: nested index ${m.digest}`);
    for (const d of [m.parsed.manifest.config, ...m.parsed.manifest.layers]) blobs.set(d.digest, d);
  }
  const results = await mapLimit([...blobs.values()], opts.concurrency ?? 3, async (d) => {
    const info = await store.content.info(d.digest);
    opts.onProgress?.({ digest: d.digest, size: info.size, status: 'checking' });
    const path = store.content.blobPath(d.digest);
    const outcome = await uploadBlob(
      client,
      repo,
      { digest: d.digest, size: info.size, open: (start, end) => createReadStream(path, { start, end: end - 1 }) },
      { ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}), ...(mountFrom ? { mountFrom } : {}) },
    );
    opts.onProgress?.({ digest: d.digest, size: info.size, status: outcome });
    return { digest: d.digest, outcome };
  });
  if (top.kind === 'index') {
    for (const m of manifests) {
      await putManifest(client, repo, m.digest, await store.content.readBlob(m.digest), m.parsed.mediaType);
    }
  }
  const data = await store.content.readBlob(topDigest);
  const pushed = await putManifest(client, repo, referenceTarget(ref) === ref.digest ? topDigest : referenceTarget(ref), data, top.mediaType);
  log.info('image pushed', { digest: pushed });
  return { reference: formatReference(ref), digest: pushed, mediaType: top.mediaType, blobs: results };
}
