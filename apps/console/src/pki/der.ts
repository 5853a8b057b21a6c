/**
 * Minimal DER (ITU-T X.690) encoder and reader: just what the console CA needs to build
 * X.509 certificates and PKCS#10 requests and to read requests back. Not a general ASN.1
 * library: no indefinite lengths, no high tag numbers (> 30), no BER leniency.
 */
import { ConsoleError } from '../common/errors.js';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given tag byte and content. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
/** SET OF: DER requires the encodings sorted. */
export const set = (...items: Buffer[]): Buffer => tlv(TAG.SET, Buffer.concat([...items].sort(Buffer.compare)));
export const nul = (): Buffer => Buffer.from([TAG.NULL, 0]);
export const bool = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0]));
export const octets = (b: Buffer): Buffer => tlv(TAG.OCTET_STRING, b);
export const utf8 = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
export const ia5 = (s: string): Buffer => tlv(TAG.IA5_STRING, Buffer.from(s, 'ascii'));
/** BIT STRING whose content is whole bytes (keys, signatures). */
export const bits = (b: Buffer, unusedBits = 0): Buffer => tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), b]));
/** Context-specific tag [n]; constructed for EXPLICIT tagging or IMPLICIT constructed types. */
export const ctx = (n: number, content: Buffer, constructed: boolean): Buffer => tlv((constructed ? 0xa0 : 0x80) | n, content);

/** INTEGER from a non-negative bigint or from big-endian unsigned bytes. */
export function int(value: bigint | number | Buffer): Buffer {
  let b: Buffer;
  if (Buffer.isBuffer(value)) b = value;
  else {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    b = Buffer.from(hex, 'hex');
  }
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(TAG.INTEGER, b);
}

/** OBJECT IDENTIFIER from dotted text ("1.2.840.10045.4.3.2"). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new ConsoleError('invalid_oid', 'invalid_argument', `failed to encode OID ${JSON.stringify(dotted)}: arc ${JSON.stringify(a)} is not a number`);
    return BigInt(a);
  });
  const [a0, a1, ...rest] = arcs;
  if (a0 === undefined || a1 === undefined || a0 > 2n) {
    throw new ConsoleError('invalid_oid', 'invalid_argument', `failed to encode OID ${JSON.stringify(dotted)}: needs at least two arcs, the first 0, 1 or 2`);
  }
  const out: number[] = [];
  for (const arc of [a0 * 40n + a1, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). Seconds precision. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'ascii'));
}

/** A TLV read from a buffer: `raw` is the whole encoding, `content` the value bytes. */
export interface Der {
  tag: number;
  raw: Buffer;
  content: Buffer;
}

function malformed(what: string, detail: string): ConsoleError {
  return new ConsoleError('malformed_der', 'invalid_argument', `failed to parse ${what}: ${detail}`);
}

/** Reads one TLV at `offset`. `what` names the structure for error messages. */
export function read(buf: Buffer, offset = 0, what = 'DER'): Der {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw malformed(what, `truncated at byte ${offset}`);
  if ((tag & 0x1f) === 0x1f) throw malformed(what, `high tag number at byte ${offset} is not supported`);
  let len = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw malformed(what, `unsupported length encoding at byte ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw malformed(what, `truncated length at byte ${offset}`);
      len = len * 256 + b;
    }
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw malformed(what, `length ${len} at byte ${offset} runs past the end (${buf.length} bytes)`);
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end) };
}

/** The TLVs inside a constructed value, in order. */
export function children(node: Der, what = 'DER'): Der[] {
  const out: Der[] = [];
  for (let off = 0; off < node.content.length; ) {
    const c = read(node.content, off, what);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

/** Reads exactly one TLV that must fill `buf` and have tag `tag`. */
export function readWhole(buf: Buffer, tag: number, what: string): Der {
  const d = read(buf, 0, what);
  if (d.raw.length !== buf.length) throw malformed(what, `${buf.length - d.raw.length} trailing bytes`);
  if (d.tag !== tag) throw malformed(what, `expected tag 0x${tag.toString(16)}, found 0x${d.tag.toString(16)}`);
  return d;
}

/** Dotted text of an OBJECT IDENTIFIER TLV. */
export function readOid(d: Der, what = 'OID'): string {
  if (d.tag !== TAG.OID || d.content.length === 0) throw malformed(what, 'not an OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of d.content) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const [first, ...rest] = arcs;
  if (first === undefined) throw malformed(what, 'empty OBJECT IDENTIFIER');
  const a0 = first < 80n ? first / 40n : 2n;
  return [a0, first - a0 * 40n, ...rest].join('.');
}
