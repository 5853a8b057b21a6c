import { createRequire } from 'node:module';
import type KoffiModule from 'koffi';
import { BPF, SYS, PR } from './constants.js';
import { syscallError, type SyscallErrorDetails } from './errno.js';
import type { CapabilitySets, Syscalls } from './types.js';

// The only module that loads koffi (DESIGN.md). Prototypes follow glibc 2.36 on x86-64.
export type Fn = (...args: unknown[]) => number | bigint;

// koffi is required on first use, not at import: commands that make no syscall through it (most
// of berth-runtime's) do not pay for loading the addon.
let koffiModule: typeof KoffiModule | undefined;
/** koffi itself, loaded on first use; for the sys/ modules that bind more of libc (spawn.ts). */
export function k(): typeof KoffiModule {
  koffiModule ??= createRequire(import.meta.url)('koffi') as typeof KoffiModule;
  return koffiModule;
}

/**
 * An object whose functions are declared through koffi on first use: parsing a prototype
 * costs ~0.5 ms, and most processes call two or three of the ~20 (berth-runtime's create only
 * mkfifo): binding them all up front was ~15 ms of every create.
 */
export function lazyFunctions<K extends string>(lib: ReturnType<typeof KoffiModule.load>, prototypes: Record<K, string>): Record<K, Fn> {
  const out = {} as Record<K, Fn>;
  for (const name of Object.keys(prototypes) as K[]) {
    Object.defineProperty(out, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        const fn = lib.func(prototypes[name]) as Fn;
        Object.defineProperty(out, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return out;
}

const PROTOTYPES = {
  mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
  umount2: 'int umount2(const char *target, int flags)',
  syscall: 'long syscall(long number, ...)',
  setns: 'int setns(int fd, int nstype)',
  unshare: 'int unshare(int flags)',
  prctl: 'int prctl(int option, ...)',
  kill: 'int kill(int pid, int sig)',
  capget: 'int capget(void *hdr, void *data)',
  capset: 'int capset(void *hdr, void *data)',
  mknod: 'int mknod(const char *path, unsigned int mode, unsigned long dev)',
  mkfifo: 'int mkfifo(const char *path, unsigned int mode)',
  lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
  lgetxattr: 'long lgetxattr(const char *path, const char *name, void *value, size_t size)',
  llistxattr: 'long llistxattr(const char *path, void *list, size_t size)',
  lremovexattr: 'int lremovexattr(const char *path, const char *name)',
  chroot: 'int chroot(const char *path)',
  sethostname: 'int sethostname(const char *name, size_t len)',
  getpid: 'int getpid()',
  close: 'int close(int fd)',
} as const;

interface Bpf {
  load: Fn;
  attach: Fn;
  progLoadSize: number;
  attachSize: number;
}

// One binding per process: koffi refuses to declare the same struct type twice.
let libcBinding: Record<keyof typeof PROTOTYPES, Fn> | undefined;
let libHandle: ReturnType<typeof KoffiModule.load> | undefined;
function libcLib(): ReturnType<typeof KoffiModule.load> {
  libHandle ??= k().load('libc.so.6');
  return libHandle;
}
function loadLibc(): Record<keyof typeof PROTOTYPES, Fn> {
  libcBinding ??= lazyFunctions(libcLib(), PROTOTYPES);
  return libcBinding;
}

let bpfBinding: Bpf | undefined;
function loadBpf(): Bpf {
  if (bpfBinding) return bpfBinding;
  const koffi = k();
  // union bpf_attr members for BPF_PROG_LOAD and BPF_PROG_ATTACH/DETACH (<linux/bpf.h>).
  const ProgLoadAttr = koffi.struct('berth_bpf_prog_load_attr', {
    prog_type: 'uint32', insn_cnt: 'uint32', insns: 'void *', license: 'const char *',
    log_level: 'uint32', log_size: 'uint32', log_buf: 'void *', kern_version: 'uint32', prog_flags: 'uint32',
    prog_name: koffi.array('char', 16), prog_ifindex: 'uint32', expected_attach_type: 'uint32',
  });
  const AttachAttr = koffi.struct('berth_bpf_attach_attr', {
    target_fd: 'uint32', attach_bpf_fd: 'uint32', attach_type: 'uint32', attach_flags: 'uint32', replace_bpf_fd: 'uint32',
  });
  const lib = libcLib();
  // bpf(2) through syscall() with the attr unions as koffi structs (pointer members are
  // marshalled from Buffers and strings for the duration of the call).
  bpfBinding = {
    load: lib.func('syscall', 'long', ['long', 'int', koffi.pointer(ProgLoadAttr), 'unsigned int']) as Fn,
    attach: lib.func('syscall', 'long', ['long', 'int', koffi.pointer(AttachAttr), 'unsigned int']) as Fn,
    progLoadSize: koffi.sizeof(ProgLoadAttr),
    attachSize: koffi.sizeof(AttachAttr),
  };
  return bpfBinding;
}

const CAP_V3 = 0x20080522;

/** Syscalls over glibc through koffi; libc is loaded on first use. */
export class KoffiSyscalls implements Syscalls {
  #libc: Record<keyof typeof PROTOTYPES, Fn> | undefined;

  get #c(): Record<keyof typeof PROTOTYPES, Fn> {
    this.#libc ??= loadLibc();
    return this.#libc;
  }

  /** Runs one call; a result of -1 becomes a BerthError built from errno. */
  #check(result: number | bigint, syscall: string, what: string, details?: SyscallErrorDetails): number {
    const n = Number(result);
    if (n === -1) throw syscallError(k().errno(), syscall, what, details);
    return n;
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
    this.#check(this.#c.mount(source, target, fstype, flags, data), 'mount', `mount ${fstype ?? source ?? 'none'} on ${target}`, { path: target });
  }

  umount2(target: string, flags = 0): void {
    this.#check(this.#c.umount2(target, flags), 'umount2', `unmount ${target}`, { path: target });
  }

  pivotRoot(newRoot: string, putOld: string): void {
    const r = this.#c.syscall(SYS.pivot_root, 'const char *', newRoot, 'const char *', putOld);
    this.#check(r, 'pivot_root', `pivot root to ${newRoot} (old root at ${putOld})`, { path: newRoot });
  }

  setns(fd: number, nstype: number): void {
    this.#check(this.#c.setns(fd, nstype), 'setns', `enter namespace of fd ${fd} (type 0x${nstype.toString(16)})`);
  }

  unshare(flags: number): void {
    this.#check(this.#c.unshare(flags), 'unshare', `unshare namespaces 0x${flags.toString(16)}`);
  }

  prctl(option: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0): number {
    const r = this.#c.prctl(option, 'unsigned long', arg2, 'unsigned long', arg3, 'unsigned long', arg4, 'unsigned long', arg5);
    return this.#check(r, 'prctl', `call prctl option ${option}`);
  }

  getChildSubreaper(): boolean {
    const out = Buffer.alloc(4);
    this.#check(this.#c.prctl(PR.GET_CHILD_SUBREAPER, 'void *', out), 'prctl', 'get child subreaper flag');
    return out.readInt32LE(0) !== 0;
  }

  setChildSubreaper(on: boolean): void {
    this.prctl(PR.SET_CHILD_SUBREAPER, on ? 1 : 0);
  }

  pidfdOpen(pid: number, flags = 0): number {
    const r = this.#c.syscall(SYS.pidfd_open, 'int', pid, 'unsigned int', flags);
    return this.#check(r, 'pidfd_open', `open pidfd for pid ${pid}`, { pid });
  }

  pidfdSendSignal(pidfd: number, signal: number, flags = 0): void {
    const r = this.#c.syscall(SYS.pidfd_send_signal, 'int', pidfd, 'int', signal, 'void *', null, 'unsigned int', flags);
    this.#check(r, 'pidfd_send_signal', `send signal ${signal} through pidfd ${pidfd}`);
  }

  pidfdWait(pidfd: number, timeoutMs?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let handle: { close(): void } | undefined;
      try {
        handle = k().node.poll(pidfd, { readable: true }, () => {
          if (timer) clearTimeout(timer);
          handle?.close();
          resolve();
        });
      } catch (err) {
        reject(syscallError('EBADF', 'poll', `wait for pidfd ${pidfd}: ${String(err)}`));
        return;
      }
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          handle?.close();
          reject(syscallError('ETIMEDOUT', 'poll', `wait for pidfd ${pidfd} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  close(fd: number): void {
    this.#check(this.#c.close(fd), 'close', `close fd ${fd}`);
  }

  kill(pid: number, signal: number): void {
    this.#check(this.#c.kill(pid, signal), 'kill', `send signal ${signal} to pid ${pid}`, { pid });
  }

  capget(pid = 0): CapabilitySets {
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32LE(CAP_V3, 0);
    hdr.writeInt32LE(pid, 4);
    const data = Buffer.alloc(24);
    this.#check(this.#c.capget(hdr, data), 'capget', `get capabilities of pid ${pid}`, { pid });
    const word = (i: number): bigint => BigInt(data.readUInt32LE(i)) | (BigInt(data.readUInt32LE(i + 12)) << 32n);
    return { effective: word(0), permitted: word(4), inheritable: word(8) };
  }

  capset(caps: CapabilitySets): void {
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32LE(CAP_V3, 0);
    const data = Buffer.alloc(24);
    const put = (i: number, v: bigint): void => {
      data.writeUInt32LE(Number(v & 0xffffffffn), i);
      data.writeUInt32LE(Number((v >> 32n) & 0xffffffffn), i + 12);
    };
    put(0, caps.effective);
    put(4, caps.permitted);
    put(8, caps.inheritable);
    this.#check(this.#c.capset(hdr, data), 'capset', 'set capabilities');
  }

  mknod(path: string, mode: number, dev = 0): void {
    this.#check(this.#c.mknod(path, mode, dev), 'mknod', `create device node ${path}`, { path });
  }

  mkfifo(path: string, mode: number): void {
    this.#check(this.#c.mkfifo(path, mode), 'mkfifo', `create fifo ${path}`, { path });
  }

  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    const buf = Buffer.from(value);
    this.#check(this.#c.lsetxattr(path, name, buf, buf.length, flags), 'lsetxattr', `set xattr ${name} on ${path}`, { path });
  }

  lgetxattr(path: string, name: string): Buffer {
    // Size first, then read; retry when the value grows in between (ERANGE).
    for (;;) {
      const size = this.#check(this.#c.lgetxattr(path, name, null, 0), 'lgetxattr', `get xattr ${name} of ${path}`, { path });
      const buf = Buffer.alloc(Math.max(size, 1));
      const r = Number(this.#c.lgetxattr(path, name, buf, buf.length));
      if (r === -1 && k().errno() === 34) continue;
      return buf.subarray(0, this.#check(r, 'lgetxattr', `get xattr ${name} of ${path}`, { path }));
    }
  }

  llistxattr(path: string): string[] {
    for (;;) {
      const size = this.#check(this.#c.llistxattr(path, null, 0), 'llistxattr', `list xattrs of ${path}`, { path });
      if (size === 0) return [];
      const buf = Buffer.alloc(size);
      const r = Number(this.#c.llistxattr(path, buf, buf.length));
      if (r === -1 && k().errno() === 34) continue;
      const n = this.#check(r, 'llistxattr', `list xattrs of ${path}`, { path });
      return buf.subarray(0, n).toString('latin1').split('\0').filter((s) => s.length > 0);
    }
  }

  lremovexattr(path: string, name: string): void {
    this.#check(this.#c.lremovexattr(path, name), 'lremovexattr', `remove xattr ${name} from ${path}`, { path });
  }

  chroot(path: string): void {
    this.#check(this.#c.chroot(path), 'chroot', `change root to ${path}`, { path });
  }

  sethostname(name: string): void {
    const len = Buffer.byteLength(name);
    this.#check(this.#c.sethostname(name, len), 'sethostname', `set hostname to ${JSON.stringify(name)}`);
  }

  getpid(): number {
    return Number(this.#c.getpid());
  }

  bpfProgLoad(progType: number, insns: Uint8Array, license: string, expectedAttachType = 0): number {
    const log = Buffer.alloc(64 * 1024);
    const attr = {
      prog_type: progType, insn_cnt: Math.floor(insns.length / 8), insns: Buffer.from(insns), license, log_level: 1,
      log_size: log.length, log_buf: log, kern_version: 0, prog_flags: 0, prog_name: 'berth', prog_ifindex: 0,
      expected_attach_type: expectedAttachType,
    };
    const r = Number(loadBpf().load(SYS.bpf, BPF.PROG_LOAD, attr, loadBpf().progLoadSize));
    if (r === -1) {
      const errno = k().errno();
      const lines = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim().split('\n');
      throw syscallError(errno, 'bpf', `load eBPF program of type ${progType} (${insns.length / 8} insns; verifier: ${lines.at(-1) || 'no log'})`);
    }
    return r;
  }

  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
    const attr = { target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType, attach_flags: flags, replace_bpf_fd: 0 };
    this.#check(loadBpf().attach(SYS.bpf, BPF.PROG_ATTACH, attr, loadBpf().attachSize), 'bpf', `attach eBPF program fd ${progFd} to fd ${targetFd}`);
  }

  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    const attr = { target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType, attach_flags: 0, replace_bpf_fd: 0 };
    this.#check(loadBpf().attach(SYS.bpf, BPF.PROG_DETACH, attr, loadBpf().attachSize), 'bpf', `detach eBPF program fd ${progFd} from fd ${targetFd}`);
  }
}

/** The real Syscalls. koffi and libc load lazily on the first call. */
export function createSyscalls(): Syscalls {
  return new KoffiSyscalls();
}
