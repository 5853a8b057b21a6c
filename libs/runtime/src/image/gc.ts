import { rm, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { causeText } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import type { ContentStore } from './content-store.js';
import { ImageError } from './errors.js';
import type { ImageRecords } from './image-records.js';
import { leasedDigests } from './leases.js';
import { childDescriptors, parseManifest } from './manifest.js';
import { isIndexType, isManifestType } from './media-types.js';

export interface GcResult {
  /** Blobs reachable from image records or held by a lease. */
  readonly kept: number;
  readonly removed: readonly string[];
  readonly freedBytes: number;
}

/**
 * Mark and sweep: mark every blob reachable from an image record (index -> manifests ->
 * config + layers; a missing child is tolerated, e.g. other platforms of an index never pulled)
 * plus blobs held by live leases; sweep every other blob and abandoned ingest files. Runs under
 * the image-records lock so no record is added mid-collection.
 */
export async function collectGarbage(
  content: ContentStore,
  records: ImageRecords,
  opts: { dryRun?: boolean; logger?: Logger; ingestMaxAgeMs?: number } = {},
): Promise<GcResult> {
  const log = opts.logger ?? noopLogger;
  return records.locked(async () => {
    const leased = await leasedDigests(content.root);
    const marked = new Set<string>();
    const queue: Array<{ digest: string; mediaType: string }> = [];
    for (const r of await records.list()) queue.push({ digest: r.digest, mediaType: r.mediaType });
    for (;;) {
      const next = queue.pop();
      if (!next) break;
      if (marked.has(next.digest)) continue;
      marked.add(next.digest);
      const walk = isManifestType(next.mediaType) || isIndexType(next.mediaType);
      if (!walk || !(await content.has(next.digest))) continue;
      let data: Buffer;
      try {
        data = await content.readBlob(next.digest);
      } catch (err) {
        throw new ImageError('store_io', `failed to collect garbage: cannot read manifest ${next.digest}: ${causeText(err)}`, {
          cause: err,
        });
      }
      const parsed = parseManifest(data, { what: `manifest ${next.digest}` });
      for (const d of childDescriptors(parsed)) queue.push({ digest: d.digest, mediaType: d.mediaType });
    }
    for (const d of leased) marked.add(d);
    const removed: string[] = [];
    let freedBytes = 0;
    for (const blob of await content.list()) {
      if (marked.has(blob.digest)) continue;
      if (!opts.dryRun) await content.delete(blob.digest);
      removed.push(blob.digest);
      freedBytes += blob.size;
      log.debug('gc removed blob', { digest: blob.digest, size: blob.size });
    }
    freedBytes += await sweepIngest(content.root, opts.ingestMaxAgeMs ?? 24 * 3600_000, opts.dryRun ?? false);
    return { kept: marked.size, removed, freedBytes };
  });
}

/** Partial downloads untouched for `maxAgeMs` (resume is pointless after that) and no lock. */
async function sweepIngest(root: string, maxAgeMs: number, dryRun: boolean): Promise<number> {
  const dir = join(root, 'ingest');
  let freed = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.endsWith('.lock') || names.includes(`${name}.lock`)) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile() || Date.now() - st.mtimeMs < maxAgeMs) continue;
    freed += st.size;
    if (!dryRun) await rm(path, { force: true });
  }
  return freed;
}

export interface DiskUsage {
  readonly images: number;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly ingestBytes: number;
  /** Bytes of blobs no image record reaches (what a gc would free, leases aside). */
  readonly reclaimableBytes: number;
}

export async function diskUsage(content: ContentStore, records: ImageRecords): Promise<DiskUsage> {
  const usage = await content.usage();
  const dry = await collectGarbage(content, records, { dryRun: true, ingestMaxAgeMs: Number.MAX_SAFE_INTEGER });
  return {
    images: (await records.list()).length,
    blobs: usage.blobs,
    blobBytes: usage.bytes,
    ingestBytes: usage.ingestBytes,
    reclaimableBytes: dry.freedBytes,
  };
}
