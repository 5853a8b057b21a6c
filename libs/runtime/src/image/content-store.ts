import { constants as fsConstants, createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { causeText, errnoCode } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { assertDigest, Digester, digestOf, parseDigest } from './digest.js';
import { ImageError } from './errors.js';
import { fsyncDir } from './fsutil.js';
import { tryLock } from './lockfile.js';

/**
 * Content-addressed blob store: `<root>/blobs/sha256/<hex>`. Blobs are written to
 * `<root>/ingest/<hex>` first, fsynced, verified against their digest, then renamed into place
 * and the directory fsynced, so a blob path never holds bytes that do not match its name. A
 * partial ingest file is kept after a transport error so the next attempt resumes at its offset.
 * Concurrent ingests of one digest download once: in-process via a promise map, across
 * processes via an O_EXCL lock file `<root>/ingest/<hex>.lock`.
 */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

/** Opens the remote content at `offset`; returns where the stream really starts (0 if no Range). */
export type BlobSource = (
  offset: number,
) => Promise<{ offset: number; stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array> }>;

export interface IngestOptions {
  /** Expected size from the descriptor; a longer stream fails at once, a shorter one at the end. */
  size?: number;
  onProgress?: (written: number, total: number | undefined) => void;
}

export interface IngestResult extends BlobInfo {
  /** False when the blob was already present (or another writer stored it). */
  readonly written: boolean;
}

export class ContentStore {
  private readonly inflight = new Map<string, Promise<IngestResult>>();
  private readonly log: Logger;

  constructor(
    readonly root: string,
    opts: { logger?: Logger } = {},
  ) {
    this.log = opts.logger ?? noopLogger;
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(this.root, 'blobs', 'sha512'), { recursive: true });
    await mkdir(join(this.root, 'ingest'), { recursive: true });
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, hex);
  }

  private ingestPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.root, 'ingest', `${algorithm}-${hex}`);
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async info(digest: string): Promise<BlobInfo> {
    const path = this.blobPath(digest);
    try {
      return { digest, size: (await stat(path)).size };
    } catch (err) {
      throw this.notFound(digest, err);
    }
  }

  /** Size in bytes of a stored blob (blob_not_found when absent). */
  async size(digest: string): Promise<number> {
    return (await this.info(digest)).size;
  }

  /** A read stream of the blob (from byte `start`). */
  async get(digest: string, start = 0): Promise<Readable> {
    await this.info(digest);
    return createReadStream(this.blobPath(digest), { start });
  }

  /** Reads a small blob (manifest, config) whole, re-verifying its digest. */
  async readBlob(digest: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    const { size } = await this.info(digest);
    if (size > maxBytes) {
      throw new ImageError('size_mismatch', `failed to read blob ${digest}: ${size} bytes exceeds ${maxBytes}`);
    }
    const data = await readFile(this.blobPath(digest));
    assertDigest(`stored blob ${digest}`, digest, digestOf(data, parseDigest(digest).algorithm));
    return data;
  }

  /** Stores bytes; verifies them when `expected` is given. */
  async put(data: Uint8Array, expected?: string): Promise<IngestResult> {
    const digest = expected ?? digestOf(data);
    return this.ingest(digest, async () => ({ offset: 0, stream: [data] }), { size: data.byteLength });
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await rm(this.blobPath(digest));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw new ImageError('store_io', `failed to delete blob ${digest}: ${causeText(err)}`, { cause: err });
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const algorithm of ['sha256', 'sha512']) {
      const dir = join(this.root, 'blobs', algorithm);
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      for (const hex of names) {
        const st = await stat(join(dir, hex)).catch(() => undefined);
        if (st?.isFile()) out.push({ digest: `${algorithm}:${hex}`, size: st.size });
      }
    }
    return out.sort((a, b) => a.digest.localeCompare(b.digest));
  }

  /** Bytes in committed blobs and in partial ingests. */
  async usage(): Promise<{ blobs: number; bytes: number; ingestBytes: number }> {
    const blobs = await this.list();
    let ingestBytes = 0;
    const dir = join(this.root, 'ingest');
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (st?.isFile()) ingestBytes += st.size;
    }
    return { blobs: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0), ingestBytes };
  }

  /**
   * Stores the content `source` yields under `expected`, verified while streaming. A second
   * caller for the same digest (this process or another) waits for the first and reuses its blob.
   */
  async ingest(expected: string, source: BlobSource, opts: IngestOptions = {}): Promise<IngestResult> {
    parseDigest(expected);
    const running = this.inflight.get(expected);
    if (running) return running.then((r) => ({ ...r, written: false }));
    const p = this.ingestLocked(expected, source, opts).finally(() => this.inflight.delete(expected));
    this.inflight.set(expected, p);
    return p;
  }

  private async ingestLocked(expected: string, source: BlobSource, opts: IngestOptions): Promise<IngestResult> {
    await this.init();
    const lockPath = `${this.ingestPath(expected)}.lock`;
    let wait = 20;
    for (;;) {
      if (await this.has(expected)) return { ...(await this.info(expected)), written: false };
      const release = await tryLock(lockPath);
      if (release) {
        try {
          if (await this.has(expected)) return { ...(await this.info(expected)), written: false };
          return await this.write(expected, source, opts);
        } finally {
          await release();
        }
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 250);
    }
  }

  private async write(expected: string, source: BlobSource, opts: IngestOptions): Promise<IngestResult> {
    const { algorithm } = parseDigest(expected);
    const partial = this.ingestPath(expected);
    // Not O_APPEND: positional writes must land where we say after a resume truncation.
    const fh = await open(partial, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    let keepPartial = true;
    try {
      let offset = (await fh.stat()).size;
      if (opts.size !== undefined && offset > opts.size) offset = 0;
      const { offset: start, stream } = await source(offset);
      if (start !== offset) offset = start;
      if (start > (await fh.stat()).size) {
        throw new ImageError('store_io', `failed to resume blob ${expected}: source started at ${start}, beyond partial`);
      }
      await fh.truncate(offset);
      const digester = new Digester(algorithm);
      if (offset > 0) await hashPrefix(fh, offset, digester);
      if (offset > 0) this.log.debug('resuming blob ingest', { digest: expected, offset });
      opts.onProgress?.(offset, opts.size);
      let pos = offset;
      // Network chunks are ~16-64 KiB; writing each costs a thread-pool round trip, so they are
      // written in batches of WRITE_BATCH bytes (bench/images: the pull's main cost otherwise).
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await writeAll(fh, buf, pos - pendingBytes);
        pending = [];
        pendingBytes = 0;
      };
      try {
        for await (const chunk of stream) {
          if (opts.size !== undefined && pos + chunk.byteLength > opts.size) {
            keepPartial = false;
            throw new ImageError(
              'size_mismatch',
              `failed to store blob ${expected}: content is larger than the ${opts.size} bytes its descriptor declares`,
            );
          }
          digester.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          pos += chunk.byteLength;
          if (pendingBytes >= WRITE_BATCH) await flush();
          opts.onProgress?.(pos, opts.size);
        }
      } finally {
        // Also after a transport error: what arrived stays in the partial for a Range resume.
        if (keepPartial) await flush();
      }
      await fh.sync();
      if (opts.size !== undefined && pos < opts.size) {
        throw new ImageError(
          'size_mismatch',
          `failed to store blob ${expected}: content ended at ${pos} of ${opts.size} bytes (truncated)`,
        );
      }
      const actual = digester.digest();
      if (actual !== expected) keepPartial = false;
      assertDigest(`blob ${expected}`, expected, actual);
      await fh.close();
      await rename(partial, this.blobPath(expected));
      await fsyncDir(join(this.root, 'blobs', algorithm));
      keepPartial = true;
      return { digest: expected, size: pos, written: true };
    } finally {
      await fh.close().catch(() => undefined);
      if (!keepPartial) await rm(partial, { force: true }).catch(() => undefined);
    }
  }

  private notFound(digest: string, cause: unknown): ImageError {
    if (errnoCode(cause) === 'ENOENT') {
      return new ImageError('blob_not_found', `failed to find blob ${digest}: not in the content store`, { cause });
    }
    return new ImageError('store_io', `failed to stat blob ${digest}: ${causeText(cause)}`, { cause });
  }
}

const WRITE_BATCH = 1 << 20;

async function hashPrefix(fh: FileHandle, length: number, digester: Digester): Promise<void> {
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  while (pos < length) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) break;
    digester.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

async function writeAll(fh: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done, position + done);
    done += bytesWritten;
  }
}
