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
import { WaitingShim, zombieExit } from './waiting-shim.js';
import type { ExitRecord, StdioConfig } from './types.js';

/** The control channel as startShim uses it: a child_process pipe or socket, or a plain fd. */
interface ControlChannel {
  write(data: Buffer): void;
  /** The next line, or undefined at end of input. */
  next(): Promise<string | undefined>;
  close(): void;
}

class LineReader implements ControlChannel {
  private buf = '';
  private readonly lines: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(private readonly sock: Duplex) {
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

  /** False once the other end closed (or failed). */
  get open(): boolean {
    return !this.ended;
  }

  /** Whether the channel keeps the event loop alive (a spare shim's does not). */
  setRef(on: boolean): void {
    const sock = this.sock as Duplex & { ref?: () => void; unref?: () => void }; // a net.Socket
    if (on) sock.ref?.();
    else sock.unref?.();
  }

  write(data: Buffer): void {
    this.sock.write(data);
  }

  close(): void {
    this.sock.destroy(); // the shim sees end-of-file
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
  /** Resolves once the shim is gone, sooner than `exited` where its status takes longer to read. */
  readonly gone?: Promise<unknown>;
  ref(): void;
  unref(): void;
}

export interface StartedShim {
  /** Its `exited` resolves when the shim has exited. */
  proc: ShimProcess;
  pid: number;
  /** The process's start time (/proc/<pid>/stat field 22) as the shim read it; 0 if unknown. */
  startTime: number;
  /** The shim's own start time, likewise. */
  shimStartTime: number;
}

/**
 * How the shim is started: 'posix_spawn' (glibc, through koffi: no copy of Node's page tables),
 * 'child_process' (Node's fork + exec), 'auto' (posix_spawn when this host has it and pidfds,
 * else child_process), or a WaitingShim that berth-runtime's front end started already.
 */
export type ShimSpawner = 'auto' | 'posix_spawn' | 'child_process' | WaitingShim;

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

interface Spawned<C extends ControlChannel = ControlChannel> {
  proc: ShimProcess;
  /** Our end of the control channel (the shim's fd 3). */
  channel: C;
  /** Rejects when the shim could not be started after all (child_process reports that late). */
  spawnFailed: Promise<never>;
  /** The shim's exit is seen only as the channel's end of file: keep it open while it runs. */
  exitNeedsChannel?: boolean;
}

function spawnError(o: { shimPath: string; containerId?: string }, what: string, err: unknown): BerthError {
  return new BerthError('shim_spawn_failed', 'unavailable', `failed to ${what}: cannot run ${o.shimPath}: ${causeText(err)}`, {
    cause: err, path: o.shimPath, containerId: o.containerId,
  });
}

type SpawnShape = Pick<StartShimOptions, 'shimPath' | 'role' | 'stdio' | 'detach'>;

function spawnNative(o: SpawnShape, what: string): Spawned<LineReader> {
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
  return { proc, channel: new LineReader(sock), spawnFailed: new Promise<never>(() => {}) };
}

/** Adopts the shim the front end started, or undefined when it was taken already. */
function adoptWaiting(w: WaitingShim): Spawned | undefined {
  const channel = w.take();
  if (!channel) return undefined;
  let gone: Promise<void> | undefined;
  let exited: Promise<Exit> | undefined;
  const proc: ShimProcess = {
    pid: w.pid,
    // Asked for only once nothing else reads the channel: after "ready", or after a failure.
    get gone() {
      return (gone ??= channel.drain());
    },
    get exited() {
      return (exited ??= (this.gone as Promise<void>).then(() => zombieExit(w.pid)));
    },
    ref: () => {},
    unref: () => {},
  };
  return { proc, channel, spawnFailed: new Promise<never>(() => {}), exitNeedsChannel: true };
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
  return { proc, channel: new LineReader(sock), spawnFailed };
}

/**
 * Init shims spawned ahead with posix_spawn, one per program and stdio kind, each waiting for
 * its message like the front end's WaitingShim: the next container start takes it, so
 * posix_spawn and the shim's exec leave that start's critical path, and a new spare is spawned
 * once the start is done. An idle spare is one sleeping process (0.9 MB RSS) that exits when
 * this process does (end of file on its channel). Detached starts need no spawn-time setsid:
 * the message asks the shim for it (T_SETSID).
 */
const spares = new Map<string, Spawned<LineReader>>();

function spareKey(o: SpawnShape): string {
  return `${o.shimPath}\0${o.stdio === 'inherit' ? 'inherit' : 'ignore'}`;
}

function takeSpare(o: SpawnShape): Spawned | undefined {
  const key = spareKey(o);
  const s = spares.get(key);
  if (!s) return undefined;
  spares.delete(key);
  if (!s.channel.open) {
    s.channel.close(); // it died while it waited; start a fresh one
    return undefined;
  }
  s.channel.setRef(true);
  s.proc.ref();
  return s;
}

function refillSpare(o: SpawnShape): void {
  const key = spareKey(o);
  if (spares.has(key)) return;
  try {
    const s = spawnNative({ shimPath: o.shimPath, role: 'init', stdio: o.stdio, detach: false }, 'prepare a spare shim');
    s.channel.setRef(false);
    s.proc.unref();
    spares.set(key, s);
  } catch {
    /* the next start spawns its own */
  }
}

function spawnShim(o: StartShimOptions, what: string): Spawned & { native?: boolean } {
  let spawner = o.spawner ?? 'auto';
  if (spawner instanceof WaitingShim) {
    const adopted = adoptWaiting(spawner);
    if (adopted) return adopted;
    spawner = spawner.fallback;
  }
  const native = spawner === 'posix_spawn' || (spawner === 'auto' && nativeSpawnAvailable());
  if (!native) return spawnChild(o, what);
  return { ...((o.role === 'init' && takeSpare(o)) || spawnNative(o, what)), native: true };
}

/** Spawns the shim and runs the start handshake; resolves once the process reported ready. */
export async function startShim(o: StartShimOptions): Promise<StartedShim> {
  const what = o.role === 'init' ? `create container ${o.containerId}` : `exec in container ${o.containerId}`;
  const { proc, channel, spawnFailed, exitNeedsChannel, native } = spawnShim(o, what);
  const expect = async (word: string): Promise<string> => {
    const line = await Promise.race([channel.next(), spawnFailed]);
    if (line === undefined) {
      const { code, signal } = await proc.exited;
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
    channel.write(o.message);
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
    channel.write(goRecord(state));
    await expect('ready');
  } catch (err) {
    channel.close(); // the shim sees end-of-file, kills the process and exits
    await proc.exited;
    throw err;
  }
  if (o.detach || !exitNeedsChannel) channel.close();
  if (o.detach) proc.unref();
  if (native && o.role === 'init') setImmediate(() => refillSpare(o));
  return { proc, pid, startTime, shimStartTime };
}

/** Waits for a started shim to exit and returns the exit record it wrote. */
export async function waitForExit(s: StartedShim, exitFile: string, containerId: string): Promise<ExitRecord> {
  s.proc.ref();
  try {
    await (s.proc.gone ?? s.proc.exited); // its exit record is written before it exits
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
