/**
 * Build cache: `<store root>/build-cache.json`, step key -> result. A key chains the previous
 * step's key with the instruction as resolved, the variables and image settings in force and,
 * for COPY/ADD, the sources' content hash, like Docker's cache (parent + instruction). A hit is
 * only used while its layer blob and committed snapshot still exist.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../errors.js';
import { writeFileAtomic } from '../fsutil.js';
import { withLock } from '../lockfile.js';

export interface CachedLayer {
  readonly diffId: string;
  readonly digest: string;
  readonly size: number;
}

export interface CacheEntry {
  /** RFC 3339 time the step first ran (kept so a rebuild yields the same config). */
  readonly created: string;
  /** Layer the step made; absent for metadata-only steps and steps that changed nothing. */
  readonly layer?: CachedLayer;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

export function cacheKey(parent: string, parts: readonly string[]): string {
  const h = createHash('sha256').update(parent);
  for (const p of parts) h.update('\n').update(p);
  return `sha256:${h.digest('hex')}`;
}

export class BuildCache {
  readonly path: string;

  constructor(root: string) {
    this.path = join(root, 'build-cache.json');
  }

  private async load(): Promise<CacheFile> {
    try {
      const doc = JSON.parse(await readFile(this.path, 'utf8')) as Partial<CacheFile>;
      if (doc.version === 1 && doc.entries && typeof doc.entries === 'object') return { version: 1, entries: doc.entries };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    // Missing or unreadable: an empty cache (it only ever saves work).
    return { version: 1, entries: {} };
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return (await this.load()).entries[key];
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    await withLock(`${this.path}.lock`, async () => {
      const doc = await this.load();
      doc.entries[key] = entry;
      await writeFileAtomic(this.path, `${JSON.stringify(doc)}\n`);
    });
  }
}
