import { causeText } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { ImageError } from './errors.js';
import { ImageRecords, type ImageRecord } from './image-records.js';
import type { ImageStore } from './image-store.js';
import { createLease, type Lease } from './leases.js';
import { parseManifest, type Descriptor, type ImageManifest, type Platform } from './manifest.js';
import { MANIFEST_MEDIA_TYPES } from './media-types.js';
import { defaultPlatform, selectManifest } from './platform.js';
import { formatReference, parseReference, referenceTarget, type ImageReference } from './reference.js';
import { openBlob } from './registry/blobs.js';
import { RegistryClient, type RegistryClientOptions, type RepoRef } from './registry/client.js';
import { isRetriable } from './registry/errors.js';
import { fetchManifest } from './registry/manifests.js';
import { enforcePolicy, type SignaturePolicy } from './sign/policy.js';

/** Per-blob progress; `total` is the descriptor size. */
export interface PullProgress {
  readonly layer: string;
  readonly downloaded: number;
  readonly total: number;
  readonly status: 'waiting' | 'downloading' | 'exists' | 'done' | 'retrying' | 'failed';
}

export interface PullOptions {
  readonly store: ImageStore;
  /** A shared client (token cache reuse) or options to make one. */
  readonly registry?: RegistryClient | RegistryClientOptions;
  readonly platform?: Platform;
  /** Parallel blob downloads (default 3). */
  readonly concurrency?: number;
  readonly onProgress?: (event: PullProgress) => void;
  /** When given, the pull is refused unless the policy is satisfied (before recording). */
  readonly policy?: SignaturePolicy;
  /** Whole-blob retries after transport failures; each resumes with Range (default 5). */
  readonly blobRetries?: number;
  readonly logger?: Logger;
}

export interface PullResult {
  readonly reference: string;
  readonly record: ImageRecord;
  /** Digest of the top-level manifest or index. */
  readonly digest: string;
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  /** Bytes downloaded in this pull (blobs already present not counted). */
  readonly downloadedBytes: number;
}

export function toClient(r: RegistryClient | RegistryClientOptions | undefined, logger?: Logger): RegistryClient {
  if (r instanceof RegistryClient) return r;
  return new RegistryClient({ ...(r ?? {}), ...(logger && !r?.logger ? { logger } : {}) });
}

/** Runs `fn` over items with at most `limit` in flight; first failure rejects after all settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
  return out;
}

async function storeManifest(store: ImageStore, lease: Lease, data: Buffer, digest: string): Promise<void> {
  await lease.add(digest);
  await store.content.put(data, digest);
}

async function downloadBlob(
  store: ImageStore,
  client: RegistryClient,
  repo: RepoRef,
  desc: Descriptor,
  opts: PullOptions,
): Promise<number> {
  const emit = (downloaded: number, status: PullProgress['status']) =>
    opts.onProgress?.({ layer: desc.digest, downloaded, total: desc.size, status });
  if (await store.content.has(desc.digest)) {
    emit(desc.size, 'exists');
    return 0;
  }
  const retries = opts.blobRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      let first = -1;
      let last = 0;
      const r = await store.content.ingest(desc.digest, (off) => openBlob(client, repo, desc.digest, off), {
        size: desc.size,
        onProgress: (n) => {
          if (first < 0) first = n;
          last = n;
          emit(n, 'downloading');
        },
      });
      emit(r.size, r.written ? 'done' : 'exists');
      return r.written ? last - Math.max(first, 0) : 0;
    } catch (err) {
      if (attempt >= retries || !isRetriable(err)) {
        emit(0, 'failed');
        if (err instanceof ImageError) throw err;
        throw new ImageError('unavailable', `failed to download blob ${desc.digest} from ${repo.registry}/${repo.repository}: ${causeText(err)}`, { cause: err });
      }
      emit(0, 'retrying');
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
    }
  }
}

/**
 * Pulls an image: resolves the manifest (index -> platform), downloads config and layers in
 * parallel (bounded), each verified while streaming, skips blobs already present, enforces the
 * signature policy when given, then records the image. A lease keeps the new blobs from a
 * concurrent garbage collection until the record exists.
 */
export async function pullImage(reference: string | ImageReference, opts: PullOptions): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const log = (opts.logger ?? noopLogger).child({ image: formatReference(ref) });
  const client = toClient(opts.registry, opts.logger);
  const store = opts.store;
  await store.init();
  const repo: RepoRef = { registry: ref.registry, repository: ref.repository };
  const lease = await createLease(store.root);
  try {
    const top = await fetchManifest(client, repo, referenceTarget(ref));
    const parsedTop = parseManifest(top.data, { contentType: top.mediaType, what: `manifest ${formatReference(ref)}` });
    await storeManifest(store, lease, top.data, top.digest);
    let manifestDigest = top.digest;
    let manifest: ImageManifest;
    if (parsedTop.kind === 'index') {
      const chosen = selectManifest(parsedTop.index, opts.platform ?? defaultPlatform());
      const m = await fetchManifest(client, repo, chosen.digest);
      const parsed = parseManifest(m.data, { contentType: m.mediaType, accept: MANIFEST_MEDIA_TYPES, what: `manifest ${chosen.digest}` });
      if (parsed.kind !== 'manifest') throw new ImageError('invalid_manifest', `failed to pull ${formatReference(ref)}: platform entry is not a manifest`);
      await storeManifest(store, lease, m.data, m.digest);
      manifestDigest = m.digest;
      manifest = parsed.manifest;
    } else {
      manifest = parsedTop.manifest;
    }
    const blobs = [manifest.config, ...manifest.layers].filter((d, i, all) => all.findIndex((x) => x.digest === d.digest) === i);
    for (const b of blobs) {
      await lease.add(b.digest);
      opts.onProgress?.({ layer: b.digest, downloaded: 0, total: b.size, status: 'waiting' });
    }
    const bytes = await mapLimit(blobs, opts.concurrency ?? 3, (d) => downloadBlob(store, client, repo, d, opts));
    const config = parseImageConfig(await store.content.readBlob(manifest.config.digest));
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new ImageError('invalid_config', `failed to pull ${formatReference(ref)}: config lists ${config.rootfs.diff_ids.length} diff_ids for ${manifest.layers.length} layers`);
    }
    if (opts.policy) await enforcePolicy(opts.policy, client, ref, top.digest);
    const record = await store.records.put({
      name: ImageRecords.recordName(ref),
      digest: top.digest,
      mediaType: parsedTop.mediaType,
      ...(manifestDigest !== top.digest ? { platformManifest: manifestDigest } : {}),
    });
    const downloadedBytes = bytes.reduce((a, b) => a + b, 0);
    log.info('image pulled', { digest: top.digest, downloadedBytes });
    return { reference: formatReference(ref), record, digest: top.digest, manifestDigest, manifest, config, downloadedBytes };
  } finally {
    await lease.release();
  }
}
