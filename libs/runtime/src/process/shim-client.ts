/**
 * Node's side of the shim's control channel (fd 3, a socketpair): send the message, read
 * "pid N", optionally run code while the process waits, send "G", read "ready". Any
 * "error <text>" line becomes a BerthError; closing the channel early makes the shim kill the
 * process and exit.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BerthError, causeText, type ErrorCategory } from '../errors.js';
import { closeFd, nativeSpawnAvailable, socketPair, spawnProcess, type Exit } from '../sys/spawn.js';
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

/** A running shim: its pid, its exit, and whether it keeps the event loop alive. */
export interface ShimProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  ref(): void;
  unref(): void;
}

export interface StartedShim {
  proc: ShimProcess;
  pid: number;
  /** The process's start time (/proc/<pid>/stat field 22) as the shim read it; 0 if unknown. */
  startTime: number;
  /** The shim's own start time, likewise. */
  shimStartTime: number;
  exited: Promise<Exit>;
}

/**
 * How the shim is started: 'posix_spawn' (glibc, through koffi: no copy of Node's page tables),
 * 'child_process' (Node's fork + exec), or 'auto' (posix_spawn when this host has it and
 * pidfds, else child_process).
 */
export type ShimSpawner = 'auto' | 'posix_spawn' | 'child_process';

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
  /** Default 'auto'. */
  spawner?: ShimSpawner;
}

interface Spawned {
  proc: ShimProcess;
  /** Our end of the control channel (the shim's fd 3). */
  sock: Duplex;
  /** Rejects when the shim could not be started after all (child_process reports that late). */
  spawnFailed: Promise<never>;
}

function spawnError(o: StartShimOptions, what: string, err: unknown): BerthError {
  return new BerthError('shim_spawn_failed', 'unavailable', `failed to ${what}: cannot run ${o.shimPath}: ${causeText(err)}`, {
    cause: err, path: o.shimPath, containerId: o.containerId,
  });
}

function spawnNative(o: StartShimOptions, what: string): Spawned {
  const [ours, theirs] = socketPair();
  let proc: ShimProcess;
  try {
    proc = spawnProcess({
      path: o.shimPath, args: [o.shimPath, o.role], stdio: o.stdio === 'inherit' ? 'inherit' : 'ignore', fd3: theirs, setsid: o.detach,
    });
  } catch (err) {
    closeFd(ours);
    throw spawnError(o, what, err);
  } finally {
    closeFd(theirs);
  }
  const sock = new Socket({ fd: ours, readable: true, writable: true });
  return { proc, sock, spawnFailed: new Promise<never>(() => {}) };
}

function spawnChild(o: StartShimOptions, what: string): Spawned {
  const stdio: StdioOptions = o.stdio === 'inherit' ? ['inherit', 'inherit', 'inherit', 'pipe'] : ['ignore', 'ignore', 'ignore', 'pipe'];
  const child = spawn(o.shimPath, [o.role], { stdio, detached: o.detach });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(spawnError(o, what, err))));
  spawnFailed.catch(() => {});
  const sock = child.stdio[3] as Duplex | null | undefined;
  if (!sock) {
    child.kill('SIGKILL');
    throw new BerthError('shim_spawn_failed', 'internal', `failed to ${what}: no control channel to the shim`, { containerId: o.containerId });
  }
  const proc: ShimProcess = { pid: child.pid ?? 0, exited, ref: () => child.ref(), unref: () => child.unref() };
  return { proc, sock, spawnFailed };
}

/** Spawns the shim and runs the start handshake; resolves once the process reported ready. */
export async function startShim(o: StartShimOptions): Promise<StartedShim> {
  const what = o.role === 'init' ? `create container ${o.containerId}` : `exec in container ${o.containerId}`;
  const spawner = o.spawner ?? 'auto';
  const native = spawner === 'posix_spawn' || (spawner === 'auto' && nativeSpawnAvailable());
  const { proc, sock, spawnFailed } = native ? spawnNative(o, what) : spawnChild(o, what);
  const exited = proc.exited;
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
  let startTime = 0;
  let shimStartTime = 0;
  const tick = (text: string | undefined) => {
    const n = Number(text ?? 0);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  };
  try {
    sock.write(o.message);
    const [pidText, startText, shimStartText] = (await expect('pid')).split(' ');
    pid = Number(pidText);
    startTime = tick(startText);
    shimStartTime = tick(shimStartText);
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
  if (o.detach) proc.unref();
  return { proc, pid, startTime, shimStartTime, exited };
}

/** Waits for a started shim to exit and returns the exit record it wrote. */
export async function waitForExit(s: StartedShim, exitFile: string, containerId: string): Promise<ExitRecord> {
  s.proc.ref();
  try {
    await s.exited;
  } finally {
    s.proc.unref();
  }
  const rec = await readExitRecord(exitFile);
  if (!rec) {
    throw new BerthError('exit_record_missing', 'internal', `failed to read exit record ${exitFile}: the shim exited without writing it`, {
      path: exitFile, pid: s.pid, containerId,
    });
  }
  return rec;
}
