/**
 * The binary message berth-shim reads from fd 3 (native/shim.h mirrors these numbers).
 *
 *   u32 body length | "BSHM" | u16 version | u16 kind | records...
 *   record: u16 tag | u32 payload length | payload
 *
 * Integers are little-endian. A string is u32 byte length, the UTF-8 bytes, then a NUL (the
 * shim uses strings in place); strings may not contain NUL. Repeated tags form lists, in order.
 */
import { BerthError } from '../errors.js';

export const MSG_VERSION = 1;
export const MSG_KIND = { init: 1, exec: 2, plan: 3 } as const;

export const TAG = {
  CONTAINER_ID: 1, ARG: 2, ENV: 3, CWD: 4, USER: 5, HOSTNAME: 6, DOMAINNAME: 7, NS: 8,
  UIDMAP: 9, GIDMAP: 10, SETGROUPS_DENY: 11, CGROUP_PROCS: 12, SECCOMP: 13, SECCOMP_FLAGS: 14,
  CONSOLE_SOCKET: 15, CONSOLE_SIZE: 16, EXEC_FIFO: 17, STDIO_FILES: 18, EXIT_FILE: 19,
  OOM_FILE: 20, OOM_SCORE_ADJ: 21, RLIMIT: 22, CAPS: 23, NO_NEW_PRIVS: 24, ROOTFS: 25,
  ROOT_PROPAGATION: 26, READONLY_ROOT: 27, MOUNT: 28, DEVICE: 29, SYMLINK: 30, MASKED: 31,
  READONLY_PATH: 32, SYSCTL: 33, HOOK_CREATE_CONTAINER: 34, HOOK_START_CONTAINER: 35, DEFER_CGROUP: 36,
  SETSID: 37, CGROUP_SELF: 38, EXEC_FIFO_OWNER: 39,
  TIME_OFFSET: 45, IOPRIO: 46, SCHED: 47, CPU_AFFINITY: 48, PERSONALITY: 49,
  // MSG_KIND.plan (container/fast-plan.ts -> native/fastpath.c)
  PLAN_INIT: 40, PLAN_SHIM: 41, PLAN_OWN_PIDNS: 42, PLAN_FREEZER: 43, PLAN_CGROUP: 44,
} as const;

/**
 * After "pid N" Node answers with the go record: "G", u32 length, the OCI state JSON that the
 * shim-run hooks get on stdin (it contains the pid, so it cannot be in the first message).
 */
export function goRecord(stateJson: string): Buffer {
  const json = Buffer.from(stateJson, 'utf8');
  const head = Buffer.alloc(5);
  head.write('G', 0, 'ascii');
  head.writeUInt32LE(json.length, 1);
  return Buffer.concat([head, json]);
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

function invalid(what: string, why: string): BerthError {
  return new BerthError('invalid_shim_message', 'invalid_argument', `failed to encode ${what}: ${why}`);
}

/**
 * The message as it is written: one buffer that grows by doubling. (A Buffer per field and a
 * concat per record made encoding a container's init message ~2 ms of a berth-runtime `run`.)
 */
class Writer {
  buf = Buffer.allocUnsafe(4096);
  len = 0;

  /** Room for `n` more bytes; returns the offset to write them at. */
  take(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    const at = this.len;
    this.len += n;
    return at;
  }
}

/** Payload of one record. `what` names the field in errors. */
export class Fields {
  constructor(
    private readonly what: string,
    private readonly w: Writer,
  ) {}

  u32(v: number, field: string): this {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw invalid(this.what, `${field} ${v} is not a 32-bit unsigned integer`);
    const at = this.w.take(4);
    this.w.buf.writeUInt32LE(v, at);
    return this;
  }

  i32(v: number, field: string): this {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) throw invalid(this.what, `${field} ${v} is not a 32-bit integer`);
    const at = this.w.take(4);
    this.w.buf.writeInt32LE(v, at);
    return this;
  }

  u64(v: bigint, field: string): this {
    if (v < 0n || v > U64_MAX) throw invalid(this.what, `${field} ${v} is not a 64-bit unsigned integer`);
    const at = this.w.take(8);
    this.w.buf.writeBigUInt64LE(v, at);
    return this;
  }

  /** u32 byte length, the UTF-8 bytes, a NUL. */
  str(s: string, field: string): this {
    if (s.includes('\0')) throw invalid(this.what, `${field} contains a NUL byte`);
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n, `${field} length`);
    const at = this.w.take(n + 1);
    this.w.buf.write(s, at, n, 'utf8');
    this.w.buf[at + n] = 0;
    return this;
  }

  /** u32 length, the bytes, a NUL. */
  bytes(b: Buffer, field: string): this {
    this.u32(b.length, `${field} length`);
    const at = this.w.take(b.length + 1);
    b.copy(this.w.buf, at);
    this.w.buf[at + b.length] = 0;
    return this;
  }
}

/** Accumulates records and frames the message. */
export class MessageBuilder {
  private readonly w = new Writer();

  constructor(private readonly kind: number) {
    this.w.take(12); // u32 length, "BSHM", u16 version, u16 kind: written by finish()
  }

  add(tag: number, what: string, fill?: (f: Fields) => void): this {
    const head = this.w.take(6);
    fill?.(new Fields(what, this.w));
    this.w.buf.writeUInt16LE(tag, head);
    this.w.buf.writeUInt32LE(this.w.len - head - 6, head + 2);
    return this;
  }

  str(tag: number, what: string, value: string): this {
    return this.add(tag, what, (f) => f.str(value, what));
  }

  finish(): Buffer {
    const { buf, len } = this.w;
    buf.writeUInt32LE(len - 4, 0);
    buf.write('BSHM', 4, 'ascii');
    buf.writeUInt16LE(MSG_VERSION, 8);
    buf.writeUInt16LE(this.kind, 10);
    return buf.subarray(0, len);
  }
}

/** One decoded record (for tests and debugging). */
export interface RawRecord {
  tag: number;
  payload: Buffer;
}

/** Splits a framed message into records; throws on bad framing. */
export function decodeMessage(buf: Buffer): { kind: number; version: number; records: RawRecord[] } {
  if (buf.length < 12 || buf.toString('ascii', 4, 8) !== 'BSHM') throw invalid('message', 'bad header');
  const len = buf.readUInt32LE(0);
  if (len + 4 !== buf.length) throw invalid('message', `length ${len} does not match ${buf.length - 4} bytes`);
  const records: RawRecord[] = [];
  let off = 12;
  while (off < buf.length) {
    if (off + 6 > buf.length) throw invalid('message', 'truncated record header');
    const tag = buf.readUInt16LE(off);
    const n = buf.readUInt32LE(off + 2);
    if (off + 6 + n > buf.length) throw invalid('message', `record ${tag} overruns the message`);
    records.push({ tag, payload: buf.subarray(off + 6, off + 6 + n) });
    off += 6 + n;
  }
  return { kind: buf.readUInt16LE(10), version: buf.readUInt16LE(8), records };
}
