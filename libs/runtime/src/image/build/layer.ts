/**
 * Turns a step's upper directory into an image layer: the OCI tar from diffDirectories
 * (deletions become whiteouts), hashed uncompressed (the diff id) and gzip-compressed (the blob
 * digest) in one pass into a temp file, then ingested into the content store under a lease.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { constants as zc, createGzip } from 'node:zlib';
import { causeText } from '../../errors.js';
import type { ContentStore } from '../content-store.js';
import { Digester } from '../digest.js';
import type { Lease } from '../leases.js';
import { diffDirectories } from '../unpack/index.js';
import { BuildError } from './errors.js';

export interface BuiltLayer {
  /** sha256 of the uncompressed tar (rootfs.diff_ids). */
  readonly diffId: string;
  /** sha256 of the gzip blob (the manifest's layer descriptor). */
  readonly digest: string;
  readonly size: number;
  /** True when the tar has no entries (nothing changed). */
  readonly empty: boolean;
}

function hashing(d: Digester): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      d.update(chunk);
      cb(null, chunk);
    },
  });
}

/** Diffs `upperDir`, stores the gzip layer in `content`, adds it to `lease`. */
export async function storeLayer(upperDir: string, content: ContentStore, lease: Lease): Promise<BuiltLayer> {
  const tmp = await mkdtemp(join(content.root, 'ingest', 'build-'));
  const file = join(tmp, 'layer.tar.gz');
  try {
    const raw = new Digester();
    const gz = new Digester();
    let rawBytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        rawBytes += chunk.length;
        cb(null, chunk);
      },
    });
    // Fixed gzip header (mtime 0, no name): same tree, same blob digest.
    await pipeline(
      Readable.from(diffDirectories(upperDir)),
      counted,
      hashing(raw),
      createGzip({ level: zc.Z_DEFAULT_COMPRESSION }),
      hashing(gz),
      createWriteStream(file),
    );
    const digest = gz.digest();
    await lease.add(digest);
    const r = await content.ingest(digest, async () => ({ offset: 0, stream: createReadStream(file) }));
    // An empty tree yields only the two zero end blocks.
    return { diffId: raw.digest(), digest, size: r.size, empty: rawBytes <= 1024 };
  } catch (err) {
    if (err instanceof BuildError) throw err;
    throw new BuildError('build_io', `failed to create layer from ${upperDir}: ${causeText(err)}`, { cause: err, path: upperDir });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
