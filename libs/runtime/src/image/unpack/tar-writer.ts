/**
 * Deterministic tar writer: ustar headers, with a PAX 'x' header (keys sorted) only when a field
 * does not fit ustar: long names or link targets, xattrs, large ids/sizes, fractional mtimes.
 */
import type { TarEntryType } from './tar.js';
import { unpackError } from './errors.js';

export interface TarWriteEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
  /** Body size; required for regular files (0 otherwise). */
  size?: number;
  /** Regular file content; must produce exactly `size` bytes. */
  body?: Buffer | AsyncIterable<Uint8Array>;
}

const BLOCK = 512;
const FLAG: Record<TarEntryType, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

function put(b: Buffer, off: number, len: number, s: string): void {
  b.write(s, off, len, 'utf8');
}

function octal(b: Buffer, off: number, len: number, v: number): void {
  put(b, off, len, v.toString(8).padStart(len - 1, '0') + '\0');
}

function fitsOctal(v: number, len: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 8 ** (len - 1);
}

/** Splits a name into ustar prefix/name when possible. */
function splitName(name: string): [string, string] | undefined {
  const n = Buffer.byteLength(name);
  if (n <= 100) return ['', name];
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return [prefix, rest];
  }
  return undefined;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function block(e: TarWriteEntry, flag: string, name: [string, string], size: number, link: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  put(b, 0, 100, name[1]);
  octal(b, 100, 8, e.mode & 0o7777);
  octal(b, 108, 8, fitsOctal(e.uid ?? 0, 8) ? e.uid ?? 0 : 0);
  octal(b, 116, 8, fitsOctal(e.gid ?? 0, 8) ? e.gid ?? 0 : 0);
  octal(b, 124, 12, fitsOctal(size, 12) ? size : 0);
  const mt = Math.floor(e.mtime);
  octal(b, 136, 12, fitsOctal(mt, 12) ? mt : 0);
  b.write(flag, 156, 1, 'latin1');
  put(b, 157, 100, link);
  b.write('ustar\x0000', 257, 8, 'latin1');
  put(b, 265, 32, e.uname ?? '');
  put(b, 297, 32, e.gname ?? '');
  octal(b, 329, 8, e.devmajor ?? 0);
  octal(b, 337, 8, e.devminor ?? 0);
  put(b, 345, 155, name[0]);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  put(b, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

/** Header block(s) for one entry: an optional PAX header + body, then the ustar header. */
export function encodeHeader(e: TarWriteEntry): Buffer {
  const size = e.type === 'file' ? e.size ?? (Buffer.isBuffer(e.body) ? e.body.length : 0) : 0;
  const link = e.linkname ?? '';
  const pax = new Map<string, Buffer>();
  const split = splitName(e.name);
  if (!split) pax.set('path', Buffer.from(e.name));
  if (Buffer.byteLength(link) > 100) pax.set('linkpath', Buffer.from(link));
  if (!fitsOctal(e.uid ?? 0, 8)) pax.set('uid', Buffer.from(String(e.uid)));
  if (!fitsOctal(e.gid ?? 0, 8)) pax.set('gid', Buffer.from(String(e.gid)));
  if (!fitsOctal(size, 12)) pax.set('size', Buffer.from(String(size)));
  if (!fitsOctal(e.mtime, 12)) pax.set('mtime', Buffer.from(String(e.mtime)));
  for (const [k, v] of e.xattrs ?? []) pax.set(`SCHILY.xattr.${k}`, v);
  const main = block(e, FLAG[e.type], split ?? ['', e.name.slice(0, 100)], size, Buffer.byteLength(link) > 100 ? '' : link);
  if (pax.size === 0) return main;
  const data = Buffer.concat([...pax.keys()].sort().map((k) => paxRecord(k, pax.get(k)!)));
  const paxName = `PaxHeaders/${(split ? split[1] : e.name).slice(-80)}`;
  const ph = block({ name: paxName, type: 'file', mode: 0o644, mtime: 0 }, 'x', ['', paxName.slice(0, 100)], data.length, '');
  return Buffer.concat([ph, data, pad(data.length), main]);
}

/** Streams a tar archive of `entries` in the given order, ending with two zero blocks. */
export async function* writeTar(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e);
    if (e.type !== 'file') continue;
    const size = e.size ?? (Buffer.isBuffer(e.body) ? e.body.length : 0);
    let n = 0;
    if (Buffer.isBuffer(e.body)) {
      n = e.body.length;
      if (n === size) yield e.body;
    } else if (e.body) {
      for await (const c of e.body) {
        n += c.length;
        if (n > size) break;
        yield Buffer.from(c.buffer, c.byteOffset, c.length);
      }
    }
    if (n !== size) throw unpackError('layer_invalid', `failed to write tar entry ${JSON.stringify(e.name)}: body has ${n} bytes, header says ${size}`);
    yield pad(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}
