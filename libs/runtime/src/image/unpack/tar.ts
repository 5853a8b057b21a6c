/**
 * Streaming tar reader: POSIX ustar, GNU long names/links ('L'/'K', base-256 numbers) and PAX
 * extended headers ('x' per entry, 'g' global) with path, linkpath, size, mtime, uid, gid,
 * uname, gname and xattrs (SCHILY.xattr.*, LIBARCHIVE.xattr.*). Sparse files are rejected.
 * Format reference: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html
 */
import { ByteReader } from './bytes.js';
import { unpackError } from './errors.js';

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** Entry path as stored (PAX/GNU long name applied), not yet cleaned. */
  name: string;
  type: TarEntryType;
  /** Permission bits incl. setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Body size in bytes (0 for everything except regular files). */
  size: number;
  /** Modification time in seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  /** Target of hard links and symlinks. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes by full name (e.g. `security.capability`). */
  xattrs: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** Offset of the entry's header block in the uncompressed stream (for error messages). */
  offset: number;
  /** The body, streamed; must be consumed before the next entry or it is skipped. */
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;
const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z === -1 ? s : s.subarray(0, z)).toString('utf8');
}

function num(b: Buffer, off: number, len: number, field: string, at: number): number {
  const f = b.subarray(off, off + len);
  if ((f[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as marker.
    if ((f[0]! & 0x40) !== 0) throw unpackError('layer_invalid', `failed to read tar header at offset ${at}: negative ${field}`);
    let v = f[0]! & 0x3f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw unpackError('layer_invalid', `failed to read tar header at offset ${at}: ${field} too large`);
    return v;
  }
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw unpackError('layer_invalid', `failed to read tar header at offset ${at}: ${field} is not octal: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(b: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 32 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const stored = parseInt(cstr(b, 148, 8).trim() || 'x', 8);
  return stored === unsigned || stored === signed;
}

/** Parses PAX records `"<len> <key>=<value>\n"`; values stay raw bytes (xattrs are binary). */
export function parsePax(data: Buffer, at: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break;
    const sp = data.indexOf(0x20, i);
    const len = sp === -1 ? NaN : Number(data.subarray(i, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length || data[i + len - 1] !== 0x0a) {
      throw unpackError('layer_invalid', `failed to read PAX header at offset ${at}: malformed record at byte ${i}`);
    }
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw unpackError('layer_invalid', `failed to read PAX header at offset ${at}: record without key at byte ${i}`);
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    i += len;
  }
  return out;
}

function paxNumber(v: Buffer, key: string, at: number, fractional = false): number {
  const s = v.toString('utf8');
  const ok = fractional ? /^-?\d+(\.\d+)?$/.test(s) : /^\d+$/.test(s);
  const n = Number(s);
  if (!ok || !Number.isFinite(n) || (!fractional && !Number.isSafeInteger(n))) {
    throw unpackError('layer_invalid', `failed to read PAX header at offset ${at}: bad ${key} ${JSON.stringify(s)}`);
  }
  return n;
}

function applyPax(h: TarHeader, pax: Map<string, Buffer>, at: number): void {
  for (const [key, v] of pax) {
    if (key === 'path') h.name = v.toString('utf8');
    else if (key === 'linkpath') h.linkname = v.toString('utf8');
    else if (key === 'size') h.size = paxNumber(v, key, at);
    else if (key === 'uid') h.uid = paxNumber(v, key, at);
    else if (key === 'gid') h.gid = paxNumber(v, key, at);
    else if (key === 'mtime') h.mtime = paxNumber(v, key, at, true);
    else if (key === 'uname') h.uname = v.toString('utf8');
    else if (key === 'gname') h.gname = v.toString('utf8');
    else if (key.startsWith('SCHILY.xattr.')) h.xattrs.set(key.slice(13), v);
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      h.xattrs.set(decodeURIComponent(key.slice(17)), Buffer.from(v.toString('latin1'), 'base64'));
    } else if (key.startsWith('GNU.sparse.')) {
      throw unpackError('layer_unsupported', `failed to read tar entry at offset ${at}: sparse files are not supported`);
    }
  }
}

async function readBody(r: ByteReader, size: number, what: string, at: number): Promise<Buffer> {
  if (size > 1 << 24) throw unpackError('layer_invalid', `failed to read ${what} at offset ${at}: ${size} bytes is too large`);
  const b = await r.read(size);
  if (b.length < size) throw unpackError('layer_invalid', `failed to read ${what} at offset ${at}: unexpected end of archive`);
  await r.skip((BLOCK - (size % BLOCK)) % BLOCK);
  return b;
}

/**
 * Yields the entries of a tar stream in order. Consumes the whole input, including bytes after
 * the end-of-archive blocks, so a digest computed over `source` covers the full stream.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let globalPax = new Map<string, Buffer>();
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const at = r.position;
    const block = await r.read(BLOCK);
    if (block.length === 0) break; // EOF at a block boundary: accepted like Go's archive/tar.
    if (block.length < BLOCK) throw unpackError('layer_invalid', `failed to read tar header at offset ${at}: unexpected end of archive`);
    if (block.every((c) => c === 0)) break;
    if (!checksumOk(block)) throw unpackError('layer_invalid', `failed to read tar header at offset ${at}: checksum mismatch`);
    const flag = String.fromCharCode(block[156]!);
    const size = num(block, 124, 12, 'size', at);
    if (flag === 'x' || flag === 'g') {
      const recs = parsePax(await readBody(r, size, 'PAX header', at), at);
      if (flag === 'g') globalPax = new Map([...globalPax, ...recs]);
      else pax = new Map([...(pax ?? []), ...recs]);
      continue;
    }
    if (flag === 'L' || flag === 'K') {
      const s = cstr(await readBody(r, size, 'GNU long name', at), 0, size);
      if (flag === 'L') longName = s;
      else longLink = s;
      continue;
    }
    if (flag === 'S') throw unpackError('layer_unsupported', `failed to read tar entry at offset ${at}: sparse files are not supported`);
    const type = TYPES[flag];
    if (type === undefined) {
      throw unpackError('layer_unsupported', `failed to read tar entry at offset ${at}: unsupported type flag ${JSON.stringify(flag)}`);
    }
    const magic = block.subarray(257, 263).toString('latin1');
    const prefix = magic === 'ustar\0' ? cstr(block, 345, 155) : '';
    const h: TarHeader = {
      name: prefix ? `${prefix}/${cstr(block, 0, 100)}` : cstr(block, 0, 100),
      type,
      mode: num(block, 100, 8, 'mode', at) & 0o7777,
      uid: num(block, 108, 8, 'uid', at),
      gid: num(block, 116, 8, 'gid', at),
      size,
      mtime: num(block, 136, 12, 'mtime', at),
      linkname: cstr(block, 157, 100),
      uname: cstr(block, 265, 32),
      gname: cstr(block, 297, 32),
      devmajor: type === 'char' || type === 'block' ? num(block, 329, 8, 'devmajor', at) : 0,
      devminor: type === 'char' || type === 'block' ? num(block, 337, 8, 'devminor', at) : 0,
      xattrs: new Map(),
    };
    if (longName !== undefined) h.name = longName;
    if (longLink !== undefined) h.linkname = longLink;
    applyPax(h, globalPax, at);
    if (pax) applyPax(h, pax, at);
    pax = longName = longLink = undefined;
    // Only regular files carry data; like Go's archive/tar, other types' sizes are ignored.
    const bodySize = h.type === 'file' ? h.size : 0;
    if (h.type !== 'file') h.size = 0;
    let consumed = 0;
    const body = (async function* () {
      for await (const c of r.chunksOf(bodySize - consumed)) {
        consumed += c.length;
        yield c;
      }
    })();
    yield { header: h, offset: at, body };
    if (consumed < bodySize) consumed += await r.skip(bodySize - consumed);
    if (consumed < bodySize) throw unpackError('layer_invalid', `failed to read tar entry ${JSON.stringify(h.name)}: unexpected end of archive`);
    await r.skip((BLOCK - (bodySize % BLOCK)) % BLOCK);
  }
  await r.drain();
}
