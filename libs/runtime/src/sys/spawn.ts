/**
 * Starts a program with glibc's posix_spawn (clone(CLONE_VM|CLONE_VFORK) + exec) instead of
 * Node's child_process, which forks the whole Node process: copying its page tables cost ~18 ms
 * per shim start here (docs/design/runtime-performance.md). The child is watched through a
 * pidfd polled on the event loop and reaped with waitpid(WNOHANG): libuv only reaps pids it
 * spawned itself, so nobody else collects these.
 */
import { SYS } from './constants.js';
import { syscallError } from './errno.js';
import { signalName } from './signals.js';
import { k, lazyFunctions, type Fn } from './koffi.js';

const SPAWN_PROTOTYPES = {
  posixSpawn: 'int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, void *envp)',
  faInit: 'int posix_spawn_file_actions_init(void *actions)',
  faDup2: 'int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)',
  faOpen: 'int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, unsigned int mode)',
  faDestroy: 'int posix_spawn_file_actions_destroy(void *actions)',
  attrInit: 'int posix_spawnattr_init(void *attr)',
  attrFlags: 'int posix_spawnattr_setflags(void *attr, short flags)',
  attrMask: 'int posix_spawnattr_setsigmask(void *attr, void *set)',
  attrDefault: 'int posix_spawnattr_setsigdefault(void *attr, void *set)',
  attrDestroy: 'int posix_spawnattr_destroy(void *attr)',
  sigemptyset: 'int sigemptyset(void *set)',
  socketpair: 'int socketpair(int domain, int type, int protocol, void *sv)',
  waitpid: 'int waitpid(int pid, void *status, int options)',
  syscall: 'long syscall(long number, ...)',
  close: 'int close(int fd)',
  fcntl: 'int fcntl(int fd, int cmd, ...)',
} as const;

type SpawnLibc = Record<keyof typeof SPAWN_PROTOTYPES, Fn> & { environ: unknown };

let bound: SpawnLibc | undefined;
function libc(): SpawnLibc {
  if (bound) return bound;
  const koffi = k();
  bound = Object.assign(lazyFunctions(koffi.load('libc.so.6'), SPAWN_PROTOTYPES), {
    // The executable's copy of environ (copy relocation): what setenv() and process.env change.
    environ: koffi.decode(koffi.load(null).symbol('environ'), 'void *'),
  });
  return bound;
}

// <spawn.h>, <fcntl.h>, <sys/socket.h>, <sys/wait.h> on x86-64 glibc.
const SETSIGDEF = 0x04, SETSIGMASK = 0x08, SETSID = 0x80;
const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000;
const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000, O_RDONLY = 0, O_RDWR = 2;
const WNOHANG = 1;
// Opaque glibc types, sized generously (posix_spawn_file_actions_t 80, posix_spawnattr_t 336,
// sigset_t 128 bytes).
const ACTIONS_SIZE = 256, ATTR_SIZE = 512, SIGSET_SIZE = 128;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Absolute path of the program. */
  path: string;
  /** argv, argv[0] included. */
  args: string[];
  /** 'inherit': fds 0-2 pass through (made blocking, as child_process does); 'ignore': /dev/null. */
  stdio: 'inherit' | 'ignore';
  /** An fd of this process that the child gets as its fd 3. */
  fd3?: number;
  /** Start a new session (child_process's `detached`). */
  setsid?: boolean;
}

/** A process started by {@link spawnProcess}; reaped by this module when it exits. */
export interface SpawnedProcess {
  readonly pid: number;
  /** Settles once the process exited and was reaped. */
  readonly exited: Promise<Exit>;
  /** Keep the event loop alive until the exit (the default). */
  ref(): void;
  /** Let the event loop end while the process still runs. */
  unref(): void;
}

function check(r: number | bigint, syscall: string, what: string, path?: string): number {
  const n = Number(r);
  if (n === -1) throw syscallError(k().errno(), syscall, what, path ? { path } : {});
  return n;
}

/** A connected AF_UNIX stream socket pair, both ends close-on-exec. */
export function socketPair(): [number, number] {
  const sv = new Int32Array(2);
  check(libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 'socketpair', 'create a socket pair');
  return [sv[0] as number, sv[1] as number];
}

export function closeFd(fd: number): void {
  check(libc().close(fd), 'close', `close fd ${fd}`);
}

/** Decodes a wait(2) status word. */
export function decodeWaitStatus(status: number): Exit {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: signalName(sig) };
}

function clearNonblock(c: SpawnLibc, fd: number): void {
  const flags = Number(c.fcntl(fd, F_GETFL));
  if (flags !== -1 && flags & O_NONBLOCK) c.fcntl(fd, F_SETFL, 'int', flags & ~O_NONBLOCK);
}

// Children that have not been reaped yet: keeps their poll handles from being collected.
const live = new Map<number, { close(): void }>();
let closeAtExit = false;

/**
 * Stops every pidfd watch when this process exits: a child that exits while Node tears down
 * (a spare shim sees its channel close then) would otherwise run the poll callback during
 * teardown, which aborts the process in koffi.
 */
function stopWatchesAtExit(): void {
  if (closeAtExit) return;
  closeAtExit = true;
  process.once('exit', () => {
    for (const poll of live.values()) poll.close();
    live.clear();
  });
}

function watchExit(c: SpawnLibc, pid: number): { exited: Promise<Exit>; handle: { ref(): void; unref(): void } } {
  const pidfd = check(c.syscall(SYS.pidfd_open, 'int', pid, 'unsigned int', 0), 'pidfd_open', `open pidfd for pid ${pid}`);
  let resolveExit!: (e: Exit) => void;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  const status = new Int32Array(1);
  let open = true;
  const poll = k().node.poll(pidfd, { readable: true }, () => {
    if (!open) return;
    const r = Number(c.waitpid(pid, status, WNOHANG));
    if (r === 0) return; // not yet (spurious wake-up)
    open = false;
    poll.stop();
    // Closed outside its own callback; ref/unref after this point are no-ops.
    setImmediate(() => {
      poll.close();
      c.close(pidfd);
      live.delete(pid);
    });
    resolveExit(r === pid ? decodeWaitStatus(status[0] as number) : { code: null, signal: null });
  });
  live.set(pid, poll);
  stopWatchesAtExit();
  const handle = {
    ref: () => void (open && poll.ref()),
    unref: () => void (open && poll.unref()),
  };
  return { exited, handle };
}

/**
 * posix_spawn with child_process's semantics for the cases Berth uses: default signal
 * dispositions and an empty signal mask in the child, this process's environment, stdio
 * inherited (fds 0-2 made blocking, like libuv does) or /dev/null. Throws BerthError with the
 * errno (ENOENT, EACCES, ...) when the program cannot be started.
 */
export function spawnProcess(o: SpawnOptions): SpawnedProcess {
  const c = libc();
  const actions = Buffer.alloc(ACTIONS_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  const mask = Buffer.alloc(SIGSET_SIZE);
  const defaults = Buffer.alloc(SIGSET_SIZE);
  c.faInit(actions);
  c.attrInit(attr);
  try {
    for (let fd = 0; fd < 3; fd++) {
      if (o.stdio === 'inherit') {
        clearNonblock(c, fd);
        c.faDup2(actions, fd, fd); // dup2 onto itself clears FD_CLOEXEC (Node sets it on 0-2)
      } else {
        c.faOpen(actions, fd, '/dev/null', fd === 0 ? O_RDONLY : O_RDWR, 0);
      }
    }
    if (o.fd3 !== undefined) c.faDup2(actions, o.fd3, 3);
    c.sigemptyset(mask);
    // Every signal back to SIG_DFL, glibc's internal 32 and 33 too (Node ignores them;
    // sigfillset leaves them out): what libuv does in a forked child.
    defaults.fill(0xff, 0, 8);
    c.attrMask(attr, mask);
    c.attrDefault(attr, defaults);
    c.attrFlags(attr, SETSIGMASK | SETSIGDEF | (o.setsid ? SETSID : 0));
    const pid = [0];
    const err = Number(c.posixSpawn(pid, o.path, actions, attr, [...o.args, null], c.environ));
    if (err !== 0) throw syscallError(err, 'posix_spawn', `run ${o.path}`, { path: o.path });
    const child = pid[0] as number;
    const { exited, handle } = watchExit(c, child);
    return { pid: child, exited, ref: () => handle.ref(), unref: () => handle.unref() };
  } finally {
    c.faDestroy(actions);
    c.attrDestroy(attr);
  }
}

let available: boolean | undefined;
/** Whether {@link spawnProcess} works here: koffi loads, glibc has posix_spawn, the kernel pidfds. */
export function nativeSpawnAvailable(): boolean {
  if (available !== undefined) return available;
  try {
    const c = libc();
    const fd = Number(c.syscall(SYS.pidfd_open, 'int', process.pid, 'unsigned int', 0));
    available = fd >= 0;
    if (fd >= 0) c.close(fd);
  } catch {
    available = false;
  }
  return available;
}
