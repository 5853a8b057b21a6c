/**
 * Layer decompression detected by magic bytes: gzip (node:zlib), zstd (fzstd, pure JS,
 * streaming) or plain tar. Media types only cross-check what the bytes say.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { Decompress } from 'fzstd';
import { causeText } from '../../errors.js';
import { unpackError } from './errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

export function detectCompression(head: Uint8Array): Compression {
  if (GZIP.every((b, i) => head[i] === b)) return 'gzip';
  if (ZSTD.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/** The compression a layer media type declares, or undefined if it is not a layer type. */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  switch (mediaType) {
    case 'application/vnd.oci.image.layer.v1.tar':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
      return 'none';
    case 'application/vnd.oci.image.layer.v1.tar+gzip':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
    case 'application/vnd.docker.image.rootfs.diff.tar.gzip':
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
      return 'gzip';
    case 'application/vnd.oci.image.layer.v1.tar+zstd':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      return 'zstd';
    default:
      return undefined;
  }
}

async function* gunzip(src: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const z = createGunzip();
  const input = Readable.from(src, { objectMode: false });
  input.on('error', (err) => z.destroy(err));
  input.pipe(z);
  try {
    for await (const c of z) yield c as Buffer;
  } catch (err) {
    throw unpackError('layer_invalid', `failed to decompress gzip layer: ${causeText(err)}`, { cause: err });
  } finally {
    input.destroy();
  }
}

async function* unzstd(src: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  let ended = false;
  const d = new Decompress((data, final) => {
    out.push(Buffer.from(data));
    if (final) ended = true;
  });
  const push = (c: Uint8Array, final: boolean): void => {
    try {
      d.push(c, final);
    } catch (err) {
      throw unpackError('layer_invalid', `failed to decompress zstd layer: ${causeText(err)}`, { cause: err });
    }
  };
  for await (const c of src) {
    push(c, false);
    if (out.length) {
      const ready = out;
      out = [];
      yield* ready;
    }
  }
  push(new Uint8Array(0), true);
  yield* out;
  if (!ended) throw unpackError('layer_invalid', 'failed to decompress zstd layer: unexpected end of stream');
}

/**
 * Decompresses `src` according to its first bytes. When `expect` is given (from the media
 * type), a different detected compression fails with 'layer_invalid'.
 */
export async function* decompress(src: AsyncIterable<Uint8Array>, expect?: Compression): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.length));
    len += r.value.length;
  }
  const first = Buffer.concat(head);
  const kind = detectCompression(first);
  if (expect !== undefined && expect !== kind) {
    throw unpackError('layer_invalid', `failed to decompress layer: media type says ${expect} but content is ${kind === 'none' ? 'not compressed' : kind}`);
  }
  const rest: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      if (first.length) yield first;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
  if (kind === 'gzip') yield* gunzip(rest);
  else if (kind === 'zstd') yield* unzstd(rest);
  else yield* rest as AsyncIterable<Buffer>;
}
