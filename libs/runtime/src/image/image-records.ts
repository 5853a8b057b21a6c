import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { causeText, errnoCode } from '../errors.js';
import { ImageError } from './errors.js';
import { writeFileAtomic } from './fsutil.js';
import { withLock } from './lockfile.js';
import { formatReference, parseReference, type ImageReference } from './reference.js';
import { parseDigest } from './digest.js';

/**
 * Image records: name (normalised `registry/repo:tag`) -> manifest digest, kept apart from
 * content in `<root>/images.json`. Every change is read-modify-write under the O_EXCL lock
 * `<root>/images.json.lock` and written atomically, so the agent and a CLI can share a root.
 */
export interface ImageRecord {
  /** Normalised reference, e.g. `docker.io/library/busybox:latest` (or `name@digest`). */
  readonly name: string;
  /** Digest of the top-level manifest or index that was pulled. */
  readonly digest: string;
  readonly mediaType: string;
  /** RFC 3339 time the record was created. */
  readonly created: string;
  /** Digest of the platform manifest used when `digest` is an index. */
  readonly platformManifest?: string;
}

interface RecordsFile {
  version: 1;
  images: ImageRecord[];
}

export class ImageRecords {
  readonly path: string;
  private readonly lockPath: string;

  constructor(readonly root: string) {
    this.path = join(root, 'images.json');
    this.lockPath = `${this.path}.lock`;
  }

  /** The record name for a reference: with tag when it has one, else `name@digest`. */
  static recordName(ref: ImageReference): string {
    if (ref.tag !== undefined) return formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag });
    return formatReference(ref);
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.load()).images;
  }

  /** Record by reference string (normalised first) or by digest (first match). */
  async get(nameOrDigest: string): Promise<ImageRecord> {
    return findIn(await this.list(), nameOrDigest);
  }

  /** Adds or replaces the record named `record.name`. */
  async put(record: Omit<ImageRecord, 'created'> & { created?: string }): Promise<ImageRecord> {
    parseDigest(record.digest);
    const full: ImageRecord = { ...record, created: record.created ?? new Date().toISOString() };
    await this.update((images) => [...images.filter((r) => r.name !== full.name), full]);
    return full;
  }

  /** Gives the image `source` another name `target`. */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const targetName = ImageRecords.recordName(parseReference(target));
    let made: ImageRecord | undefined;
    await this.update((images) => {
      const src = findIn(images, source);
      made = { ...src, name: targetName, created: new Date().toISOString() };
      return [...images.filter((r) => r.name !== targetName), made];
    });
    return made as ImageRecord;
  }

  /** Removes a record by name (or every record with that digest); returns what was removed. */
  async remove(nameOrDigest: string): Promise<ImageRecord[]> {
    let removed: ImageRecord[] = [];
    await this.update((images) => {
      if (/^sha(256|512):/.test(nameOrDigest)) {
        removed = images.filter((r) => r.digest === nameOrDigest);
      } else {
        removed = [findIn(images, nameOrDigest)];
      }
      if (removed.length === 0) {
        throw new ImageError('image_not_found', `failed to remove image ${nameOrDigest}: no such image record`);
      }
      return images.filter((r) => !removed.includes(r));
    });
    return removed;
  }

  /** Runs `fn` under the records lock (used by garbage collection to hold writers off). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lockPath, fn);
  }

  private async update(fn: (images: ImageRecord[]) => ImageRecord[]): Promise<void> {
    await withLock(this.lockPath, async () => {
      const file = await this.load();
      const images = fn(file.images).sort((a, b) => a.name.localeCompare(b.name));
      await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, images }, null, 2)}\n`);
    });
  }

  private async load(): Promise<RecordsFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { version: 1, images: [] };
      throw new ImageError('store_io', `failed to read ${this.path}: ${causeText(err)}`, { cause: err, path: this.path });
    }
    try {
      const parsed = JSON.parse(text) as Partial<RecordsFile>;
      if (parsed.version !== 1 || !Array.isArray(parsed.images)) throw new Error('expected {version: 1, images: [...]}');
      return { version: 1, images: parsed.images };
    } catch (err) {
      throw new ImageError('store_io', `failed to parse ${this.path}: ${causeText(err)}`, { cause: err, path: this.path });
    }
  }
}

function findIn(images: ImageRecord[], nameOrDigest: string): ImageRecord {
  const name = /^sha(256|512):/.test(nameOrDigest) ? undefined : ImageRecords.recordName(parseReference(nameOrDigest));
  const found = images.find((r) => (name ? r.name === name : r.digest === nameOrDigest));
  if (!found) throw new ImageError('image_not_found', `failed to find image ${nameOrDigest}: no such image record`);
  return found;
}
