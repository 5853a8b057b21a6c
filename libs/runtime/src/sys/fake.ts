import { lstatSync } from 'node:fs';
import { PR, S_IF } from './constants.js';
import { syscallError } from './errno.js';
import type { CapabilitySets, Syscalls } from './types.js';

export type SyscallName = Exclude<keyof Syscalls, never>;

/** One recorded call: the method name and its arguments as passed. */
export interface RecordedCall {
  name: SyscallName;
  args: unknown[];
}

interface Script {
  name: SyscallName;
  errno?: string;
  result?: (...args: unknown[]) => unknown;
  when?: (args: unknown[]) => boolean;
  times: number;
}

interface FakeProcess {
  alive: boolean;
  waiters: (() => void)[];
  signals: number[];
}

const ALL_CAPS = (1n << 41n) - 1n;

/**
 * A recording Syscalls for unit tests. Every call is appended to `calls`. Tests script errors
 * (`fail('mount', 'EPERM')`) or results (`respond('prctl', () => 1)`); unscripted calls follow a
 * small in-memory model of the kernel: a mount table, xattrs, fifos/device nodes, processes
 * (`startProcess()`), pidfds, capabilities, hostname, subreaper flag. Paths must exist on the
 * real filesystem where the kernel would look them up (mount targets, xattr files), so the
 * shared suite behaves the same against the fake and the real implementation.
 */
export class FakeSyscalls implements Syscalls {
  readonly calls: RecordedCall[] = [];
  readonly mounts: { source: string | null; target: string; fstype: string | null; flags: number; data: string | null }[] = [];
  readonly nodes = new Map<string, { mode: number; dev: number }>();
  readonly xattrs = new Map<string, Map<string, Buffer>>();
  readonly processes = new Map<number, FakeProcess>();
  readonly pidfds = new Map<number, number>();
  hostname = 'fake-host';
  root = '/';
  pid: number;
  subreaper = false;
  caps: CapabilitySets = { effective: ALL_CAPS, permitted: ALL_CAPS, inheritable: 0n };
  readonly namespaces: { op: 'setns' | 'unshare'; fd?: number; flags: number }[] = [];
  #scripts: Script[] = [];
  #nextFd = 100;
  #nextPid = 50000;

  constructor(opts: { pid?: number } = {}) {
    this.pid = opts.pid ?? 4242;
    this.processes.set(this.pid, { alive: true, waiters: [], signals: [] });
  }

  /** Make the next `times` calls of `name` (matching `when`) throw the errno `code`. */
  fail(name: SyscallName, code: string, opts: { times?: number; when?: (args: unknown[]) => boolean } = {}): this {
    this.#scripts.push({ name, errno: code, times: opts.times ?? 1, ...(opts.when ? { when: opts.when } : {}) });
    return this;
  }

  /** Make the next `times` calls of `name` return `result(...args)` instead of the model's answer. */
  respond(name: SyscallName, result: (...args: unknown[]) => unknown, opts: { times?: number } = {}): this {
    this.#scripts.push({ name, result, times: opts.times ?? 1 });
    return this;
  }

  /** Calls of one method, in order. */
  callsOf(name: SyscallName): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args);
  }

  /** Register a live fake process and return its pid. */
  startProcess(): number {
    const pid = this.#nextPid++;
    this.processes.set(pid, { alive: true, waiters: [], signals: [] });
    return pid;
  }

  /** Signals delivered to a fake process. */
  signalsOf(pid: number): number[] {
    return this.processes.get(pid)?.signals ?? [];
  }

  #enter<T>(name: SyscallName, args: unknown[], what: string, details: { path?: string; pid?: number }, model: () => T): T {
    this.calls.push({ name, args });
    const i = this.#scripts.findIndex((s) => s.name === name && (!s.when || s.when(args)));
    if (i >= 0) {
      const s = this.#scripts[i]!;
      if (--s.times <= 0) this.#scripts.splice(i, 1);
      if (s.errno !== undefined) throw syscallError(s.errno, name, what, details);
      if (s.result) return s.result(...args) as T;
    }
    return model();
  }

  #mustExist(path: string, syscall: string, what: string): void {
    try {
      lstatSync(path);
    } catch {
      if (!this.nodes.has(path)) throw syscallError('ENOENT', syscall, what, { path });
    }
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
    const what = `mount ${fstype ?? source ?? 'none'} on ${target}`;
    this.#enter('mount', [source, target, fstype, flags, data], what, { path: target }, () => {
      this.#mustExist(target, 'mount', what);
      this.mounts.push({ source, target, fstype, flags, data });
    });
  }

  umount2(target: string, flags = 0): void {
    this.#enter('umount2', [target, flags], `unmount ${target}`, { path: target }, () => {
      this.#mustExist(target, 'umount2', `unmount ${target}`);
      const i = this.mounts.map((m) => m.target).lastIndexOf(target);
      if (i < 0) throw syscallError('EINVAL', 'umount2', `unmount ${target}`, { path: target });
      this.mounts.splice(i, 1);
    });
  }

  pivotRoot(newRoot: string, putOld: string): void {
    this.#enter('pivotRoot', [newRoot, putOld], `pivot root to ${newRoot} (old root at ${putOld})`, { path: newRoot }, () => {
      this.root = newRoot;
    });
  }

  setns(fd: number, nstype: number): void {
    this.#enter('setns', [fd, nstype], `enter namespace of fd ${fd}`, {}, () => void this.namespaces.push({ op: 'setns', fd, flags: nstype }));
  }

  unshare(flags: number): void {
    this.#enter('unshare', [flags], `unshare namespaces 0x${flags.toString(16)}`, {}, () => void this.namespaces.push({ op: 'unshare', flags }));
  }

  prctl(option: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0): number {
    return this.#enter('prctl', [option, arg2, arg3, arg4, arg5], `call prctl option ${option}`, {}, () => {
      if (option === PR.SET_CHILD_SUBREAPER) this.subreaper = arg2 !== 0;
      return 0;
    });
  }

  getChildSubreaper(): boolean {
    return this.#enter('getChildSubreaper', [], 'get child subreaper flag', {}, () => this.subreaper);
  }

  setChildSubreaper(on: boolean): void {
    this.#enter('setChildSubreaper', [on], 'set child subreaper flag', {}, () => void (this.subreaper = on));
  }

  pidfdOpen(pid: number, flags = 0): number {
    return this.#enter('pidfdOpen', [pid, flags], `open pidfd for pid ${pid}`, { pid }, () => {
      if (!this.processes.get(pid)?.alive) throw syscallError('ESRCH', 'pidfd_open', `open pidfd for pid ${pid}`, { pid });
      const fd = this.#nextFd++;
      this.pidfds.set(fd, pid);
      return fd;
    });
  }

  pidfdSendSignal(pidfd: number, signal: number, flags = 0): void {
    const what = `send signal ${signal} through pidfd ${pidfd}`;
    this.#enter('pidfdSendSignal', [pidfd, signal, flags], what, {}, () => {
      const pid = this.pidfds.get(pidfd);
      if (pid === undefined) throw syscallError('EBADF', 'pidfd_send_signal', what);
      this.#deliver(pid, signal, 'pidfd_send_signal', what);
    });
  }

  #deliver(pid: number, signal: number, syscall: string, what: string): void {
    const p = this.processes.get(pid);
    if (!p?.alive) throw syscallError('ESRCH', syscall, what, { pid });
    if (signal === 0) return;
    p.signals.push(signal);
    if (signal === 17 || signal === 18 || signal === 28) return; // SIGCHLD, SIGCONT, SIGWINCH: ignored by default
    if (pid === this.pid) return; // never "kill" the fake caller itself
    p.alive = false;
    for (const w of p.waiters.splice(0)) w();
  }

  pidfdWait(pidfd: number, timeoutMs?: number): Promise<void> {
    const what = `wait for pidfd ${pidfd}`;
    return this.#enter('pidfdWait', [pidfd, timeoutMs], what, {}, () => {
      const p = this.processes.get(this.pidfds.get(pidfd) ?? -1);
      if (!p) return Promise.reject(syscallError('EBADF', 'poll', what));
      if (!p.alive) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        p.waiters.push(done);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            p.waiters.splice(p.waiters.indexOf(done), 1);
            reject(syscallError('ETIMEDOUT', 'poll', `${what} within ${timeoutMs} ms`));
          }, timeoutMs);
        }
      });
    });
  }

  close(fd: number): void {
    this.#enter('close', [fd], `close fd ${fd}`, {}, () => {
      if (!this.pidfds.delete(fd) && !this.programs.delete(fd)) throw syscallError('EBADF', 'close', `close fd ${fd}`);
    });
  }

  kill(pid: number, signal: number): void {
    const what = `send signal ${signal} to pid ${pid}`;
    this.#enter('kill', [pid, signal], what, { pid }, () => this.#deliver(pid, signal, 'kill', what));
  }

  capget(pid = 0): CapabilitySets {
    return this.#enter('capget', [pid], `get capabilities of pid ${pid}`, { pid }, () => ({ ...this.caps }));
  }

  capset(caps: CapabilitySets): void {
    this.#enter('capset', [caps], 'set capabilities', {}, () => {
      const grows = (caps.permitted & ~this.caps.permitted) !== 0n || (caps.effective & ~caps.permitted) !== 0n;
      if (grows) throw syscallError('EPERM', 'capset', 'set capabilities');
      this.caps = { ...caps };
    });
  }

  mknod(path: string, mode: number, dev = 0): void {
    this.#enter('mknod', [path, mode, dev], `create device node ${path}`, { path }, () => this.#node(path, mode, dev, 'mknod', `create device node ${path}`));
  }

  mkfifo(path: string, mode: number): void {
    this.#enter('mkfifo', [path, mode], `create fifo ${path}`, { path }, () => this.#node(path, S_IF.FIFO | mode, 0, 'mkfifo', `create fifo ${path}`));
  }

  #node(path: string, mode: number, dev: number, syscall: string, what: string): void {
    let exists = this.nodes.has(path);
    try {
      lstatSync(path);
      exists = true;
    } catch {
      /* absent on disk */
    }
    if (exists) throw syscallError('EEXIST', syscall, what, { path });
    this.nodes.set(path, { mode, dev });
  }

  #attrs(path: string, syscall: string, what: string): Map<string, Buffer> {
    this.#mustExist(path, syscall, what);
    let m = this.xattrs.get(path);
    if (!m) this.xattrs.set(path, (m = new Map()));
    return m;
  }

  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    const what = `set xattr ${name} on ${path}`;
    this.#enter('lsetxattr', [path, name, Buffer.from(value), flags], what, { path }, () => {
      const m = this.#attrs(path, 'lsetxattr', what);
      if (flags === 1 && m.has(name)) throw syscallError('EEXIST', 'lsetxattr', what, { path });
      if (flags === 2 && !m.has(name)) throw syscallError('ENODATA', 'lsetxattr', what, { path });
      m.set(name, Buffer.from(value));
    });
  }

  lgetxattr(path: string, name: string): Buffer {
    const what = `get xattr ${name} of ${path}`;
    return this.#enter('lgetxattr', [path, name], what, { path }, () => {
      const v = this.#attrs(path, 'lgetxattr', what).get(name);
      if (!v) throw syscallError('ENODATA', 'lgetxattr', what, { path });
      return Buffer.from(v);
    });
  }

  llistxattr(path: string): string[] {
    const what = `list xattrs of ${path}`;
    return this.#enter('llistxattr', [path], what, { path }, () => [...this.#attrs(path, 'llistxattr', what).keys()]);
  }

  lremovexattr(path: string, name: string): void {
    const what = `remove xattr ${name} from ${path}`;
    this.#enter('lremovexattr', [path, name], what, { path }, () => {
      if (!this.#attrs(path, 'lremovexattr', what).delete(name)) throw syscallError('ENODATA', 'lremovexattr', what, { path });
    });
  }

  chroot(path: string): void {
    this.#enter('chroot', [path], `change root to ${path}`, { path }, () => {
      this.#mustExist(path, 'chroot', `change root to ${path}`);
      this.root = path;
    });
  }

  sethostname(name: string): void {
    this.#enter('sethostname', [name], `set hostname to ${JSON.stringify(name)}`, {}, () => {
      if (Buffer.byteLength(name) > 64) throw syscallError('EINVAL', 'sethostname', `set hostname to ${JSON.stringify(name)}`);
      this.hostname = name;
    });
  }

  getpid(): number {
    return this.#enter('getpid', [], 'get pid', {}, () => this.pid);
  }

  /** Loaded programs by fd, and attachments target fd -> program fd. */
  readonly programs = new Map<number, { type: number; insns: Buffer; license: string }>();
  readonly attachments = new Map<number, number>();

  bpfProgLoad(progType: number, insns: Uint8Array, license: string, expectedAttachType = 0): number {
    const what = `load eBPF program of type ${progType}`;
    return this.#enter('bpfProgLoad', [progType, Buffer.from(insns), license, expectedAttachType], what, {}, () => {
      if (insns.length === 0) throw syscallError('E2BIG', 'bpf', what); // the kernel's answer to insn_cnt 0
      if (insns.length % 8 !== 0) throw syscallError('EINVAL', 'bpf', what);
      const fd = this.#nextFd++;
      this.programs.set(fd, { type: progType, insns: Buffer.from(insns), license });
      return fd;
    });
  }

  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
    const what = `attach eBPF program fd ${progFd} to fd ${targetFd}`;
    this.#enter('bpfProgAttach', [targetFd, progFd, attachType, flags], what, {}, () => {
      if (!this.programs.has(progFd)) throw syscallError('EBADF', 'bpf', what);
      this.attachments.set(targetFd, progFd);
    });
  }

  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    const what = `detach eBPF program fd ${progFd} from fd ${targetFd}`;
    this.#enter('bpfProgDetach', [targetFd, progFd, attachType], what, {}, () => {
      if (this.attachments.get(targetFd) !== progFd) throw syscallError('ENOENT', 'bpf', what);
      this.attachments.delete(targetFd);
    });
  }
}
