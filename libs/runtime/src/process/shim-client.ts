/**
 * Node's side of the shim's control channel (fd 3, a socketpair): send the message, read
 * "pid N", optionally run code while the process waits, send "G", read "ready". Any
 * "error <text>" line becomes a BerthError; closing the channel early makes the shim kill the
 * process and exit.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { BerthError, causeText, type ErrorCategory } from '../errors.js';
import { readExitRecord } from './exit-record.js';
import { goRecord } from './protocol.js';
import type { ExitRecord, StdioConfig } from './types.js';

class LineReader {
  private buf = '';
  private readonly lines: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(sock: Duplex) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.notify();
    });
    sock.on('end', () => this.finish());
    sock.on('close', () => this.finish());
    // ECONNRESET/EPIPE mean the shim went away: the caller then reports how it exited
    sock.on('error', () => this.finish());
  }

  finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The next line, or undefined at end of input. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function categoryOf(text: string): ErrorCategory {
  if (/No such file or directory|not found in \$PATH/.test(text)) return 'not_found';
  if (/Permission denied|Operation not permitted/.test(text)) return 'permission_denied';
  if (/Invalid argument/.test(text)) return 'invalid_argument';
  return 'internal';
}

export interface StartedShim {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartShimOptions {
  shimPath: string;
  role: 'init' | 'exec';
  message: Buffer;
  stdio: StdioConfig;
  detach: boolean;
  containerId: string;
  /** Runs after "pid N" while the process waits; a rejection aborts the start. */
  beforeGo?: (pid: number) => Promise<void>;
  /** State JSON for shim-run hooks, sent with "G". */
  stateJson?: string | ((pid: number) => string);
}

/** Spawns the shim and runs the start handshake; resolves once the process reported ready. */
export async function startShim(o: StartShimOptions): Promise<StartedShim> {
  const what = o.role === 'init' ? `create container ${o.containerId}` : `exec in container ${o.containerId}`;
  const stdio: StdioOptions = o.stdio === 'inherit' ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'];
  const child = spawn(o.shimPath, [o.role], { stdio, detached: o.detach });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new BerthError('shim_spawn_failed', 'unavailable', `failed to ${what}: cannot run ${o.shimPath}: ${causeText(err)}`, {
        cause: err, path: o.shimPath, containerId: o.containerId,
      })));
  });
  spawnFailed.catch(() => {});
  const sock = child.stdio[3] as Duplex | null | undefined;
  if (!sock) {
    child.kill('SIGKILL');
    throw new BerthError('shim_spawn_failed', 'internal', `failed to ${what}: no control channel to the shim`, { containerId: o.containerId });
  }
  const reader = new LineReader(sock);
  const expect = async (word: string): Promise<string> => {
    const line = await Promise.race([reader.next(), spawnFailed]);
    if (line === undefined) {
      const { code, signal } = await exited;
      throw new BerthError('shim_failed', 'internal', `failed to ${what}: the shim exited (code ${code}, signal ${signal}) before "${word}"`, {
        containerId: o.containerId,
      });
    }
    if (line.startsWith('error ')) {
      const text = line.slice(6);
      throw new BerthError('shim_failed', categoryOf(text), `failed to ${what}: ${text}`, { containerId: o.containerId });
    }
    if (!line.startsWith(word)) throw new BerthError('shim_protocol', 'internal', `failed to ${what}: unexpected shim reply "${line}"`, { containerId: o.containerId });
    return line.slice(word.length).trim();
  };
  let pid = 0;
  try {
    sock.write(o.message);
    pid = Number(await expect('pid'));
    if (!Number.isInteger(pid) || pid <= 0) throw new BerthError('shim_protocol', 'internal', `failed to ${what}: bad pid from the shim`, { containerId: o.containerId });
    if (o.beforeGo) {
      try {
        await o.beforeGo(pid);
      } catch (err) {
        throw new BerthError('hook_failed', err instanceof BerthError ? err.category : 'internal', `failed to ${what}: ${causeText(err)}`, {
          cause: err, pid, containerId: o.containerId,
        });
      }
    }
    const state = typeof o.stateJson === 'function' ? o.stateJson(pid) : (o.stateJson ?? '');
    sock.write(goRecord(state));
    await expect('ready');
  } catch (err) {
    sock.destroy(); // the shim sees end-of-file, kills the process and exits
    await exited;
    throw err;
  }
  sock.destroy();
  if (o.detach) child.unref();
  return { child, pid, exited };
}

/** Waits for a started shim to exit and returns the exit record it wrote. */
export async function waitForExit(s: StartedShim, exitFile: string, containerId: string): Promise<ExitRecord> {
  s.child.ref();
  try {
    await s.exited;
  } finally {
    s.child.unref();
  }
  const rec = await readExitRecord(exitFile);
  if (!rec) {
    throw new BerthError('exit_record_missing', 'internal', `failed to read exit record ${exitFile}: the shim exited without writing it`, {
      path: exitFile, pid: s.pid, containerId,
    });
  }
  return rec;
}
