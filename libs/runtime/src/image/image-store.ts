import { noopLogger, type Logger } from '../logger.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { ContentStore } from './content-store.js';
import { ImageError } from './errors.js';
import { collectGarbage, diskUsage, type DiskUsage, type GcResult } from './gc.js';
import { ImageRecords, type ImageRecord } from './image-records.js';
import { parseManifest, type ImageManifest } from './manifest.js';
import { defaultPlatform, selectManifest } from './platform.js';
import type { Platform } from './manifest.js';

/**
 * The image store under a data root: blobs (ContentStore) plus image records (ImageRecords).
 * Both processes that share a root (agent, CLI) coordinate through lock files only.
 */
export interface ImageDetails {
  readonly record: ImageRecord;
  /** Digest of the platform image manifest (the record digest unless it is an index). */
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  /** Sum of config and layer sizes (compressed), as the registry stores them. */
  readonly size: number;
}

export class ImageStore {
  readonly content: ContentStore;
  readonly records: ImageRecords;
  readonly log: Logger;

  constructor(
    readonly root: string,
    opts: { logger?: Logger } = {},
  ) {
    this.log = opts.logger ?? noopLogger;
    this.content = new ContentStore(root, { logger: this.log });
    this.records = new ImageRecords(root);
  }

  async init(): Promise<this> {
    await this.content.init();
    return this;
  }

  list(): Promise<ImageRecord[]> {
    return this.records.list();
  }

  /** Record, manifest and config of an image (platform manifest for an index record). */
  async inspect(nameOrDigest: string, platform: Platform = defaultPlatform()): Promise<ImageDetails> {
    const record = await this.records.get(nameOrDigest);
    let manifestDigest = record.digest;
    let parsed = parseManifest(await this.content.readBlob(record.digest), { what: `manifest ${record.digest}` });
    if (parsed.kind === 'index') {
      manifestDigest = record.platformManifest ?? selectManifest(parsed.index, platform).digest;
      parsed = parseManifest(await this.content.readBlob(manifestDigest), { what: `manifest ${manifestDigest}` });
    }
    if (parsed.kind !== 'manifest') {
      throw new ImageError('invalid_manifest', `failed to inspect image ${nameOrDigest}: nested index ${manifestDigest} is not supported`);
    }
    const manifest = parsed.manifest;
    const config = parseImageConfig(await this.content.readBlob(manifest.config.digest));
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    return { record, manifestDigest, manifest, config, size };
  }

  tag(source: string, target: string): Promise<ImageRecord> {
    return this.records.tag(source, target);
  }

  /** Removes records; blobs go at the next gc(). */
  remove(nameOrDigest: string): Promise<ImageRecord[]> {
    return this.records.remove(nameOrDigest);
  }

  gc(opts: { dryRun?: boolean } = {}): Promise<GcResult> {
    return collectGarbage(this.content, this.records, { ...opts, logger: this.log });
  }

  diskUsage(): Promise<DiskUsage> {
    return diskUsage(this.content, this.records);
  }
}
