/**
 * A shim started ahead of the command by berth-runtime's native front end (native/fastpath.c):
 * for `create` and `run` it forks `berth-shim init` while Node starts up, and hands Node its
 * end of the control channel as BERTH_RUNTIME_SHIM="<fd> <pid>". The shim then behaves exactly
 * as one Node spawned: it waits for its message on fd 3 (and exits quietly if the channel
 * closes first). Node did not spawn it through libuv, so Node learns of its exit from the
 * channel's end of file (the shim holds the channel until it exits) and reads the exit status
 * from the zombie's /proc/<pid>/stat. Processes Node starts (hooks) do not inherit the channel:
 * Node marks the descriptors it inherits close-on-exec at start-up (libuv's
 * uv_disable_stdio_inheritance: every one up to the first gap above 15), and the channel is
 * the lowest free descriptor when the front end makes it.
 */
import { closeSync, read, readFileSync, readSync, writeSync } from 'node:fs';
import { decodeWaitStatus, type Exit } from '../sys/spawn.js';
import type { ShimSpawner } from './shim-client.js';

/** The environment variable the front end sets. */
export const WAITING_SHIM_ENV = 'BERTH_RUNTIME_SHIM';

/**
 * The line protocol of the control channel over a plain descriptor (no libuv stream). The
 * start handshake reads block: the shim answers within milliseconds, a signal arriving meanwhile
 * is only queued (the container does not exist yet), and a short-lived command then never starts
 * libuv's thread pool. Waiting for the shim's exit (drain) reads through the thread pool, so the
 * event loop runs while the container does.
 */
export class FdChannel {
  private buf = Buffer.alloc(0);
  private blocking = true;
  private eof = false;
  private closed = false;
  private reading = false;

  constructor(readonly fd: number) {}

  /** A failed write means the shim is gone: the next read reports end of input. */
  write(data: Buffer): void {
    try {
      for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off);
    } catch {
      this.eof = true;
    }
  }

  /** The next line, or undefined at end of input. Reads only while a line is awaited. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0) {
        const line = this.buf.toString('utf8', 0, nl);
        this.buf = this.buf.subarray(nl + 1);
        return line;
      }
      if (this.eof || this.closed) return undefined;
      await this.fill();
    }
  }

  /** Resolves at end of input (the shim exited), discarding what arrives meanwhile. */
  async drain(): Promise<void> {
    this.blocking = false;
    while ((await this.next()) !== undefined) {
      /* lines after "ready" carry nothing */
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.reading) this.release();
  }

  private release(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }

  private fill(): Promise<void> {
    const chunk = Buffer.allocUnsafe(4096);
    if (this.blocking) {
      try {
        const n = readSync(this.fd, chunk, 0, chunk.length, null);
        if (n === 0) this.eof = true;
        else this.buf = Buffer.concat([this.buf, chunk.subarray(0, n)]);
      } catch {
        this.eof = true;
      }
      return Promise.resolve();
    }
    this.reading = true;
    return new Promise((resolve) => {
      read(this.fd, chunk, 0, chunk.length, null, (err, n) => {
        this.reading = false;
        if (err || n === 0) this.eof = true;
        else this.buf = Buffer.concat([this.buf, chunk.subarray(0, n)]);
        if (this.closed) this.release();
        resolve();
      });
    });
  }
}

/** The waiting shim, to be used once; `fallback` starts any further shim. */
export class WaitingShim {
  private available = true;

  constructor(
    readonly fd: number,
    readonly pid: number,
    readonly fallback: Exclude<ShimSpawner, WaitingShim>,
  ) {}

  /** The channel, once; undefined after that. */
  take(): FdChannel | undefined {
    if (!this.available) return undefined;
    this.available = false;
    return new FdChannel(this.fd);
  }
}

/**
 * Takes BERTH_RUNTIME_SHIM out of `env` (so no process started later inherits it) and returns
 * the shim it names, or undefined when it is absent or not a "<fd> <pid>" pair.
 */
export function adoptWaitingShim(fallback: Exclude<ShimSpawner, WaitingShim>, env: NodeJS.ProcessEnv = process.env): WaitingShim | undefined {
  const value = env[WAITING_SHIM_ENV];
  delete env[WAITING_SHIM_ENV];
  const m = /^(\d+) (\d+)$/.exec(value ?? '');
  if (!m) return undefined;
  const fd = Number(m[1]);
  const pid = Number(m[2]);
  return fd > 2 && pid > 0 ? new WaitingShim(fd, pid, fallback) : undefined;
}

/**
 * How a child that this process did not spawn through libuv exited: field 52 of a zombie's
 * /proc/<pid>/stat is its wait status. Polls until the child is a zombie (it closes its
 * descriptors just before); null fields when that cannot be read.
 */
export async function zombieExit(pid: number, timeoutMs = 5000): Promise<Exit> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return { code: null, signal: null };
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') {
      const status = Number(fields[49]);
      return Number.isInteger(status) ? decodeWaitStatus(status) : { code: null, signal: null };
    }
    if (Date.now() > deadline) return { code: null, signal: null };
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
