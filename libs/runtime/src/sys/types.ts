/**
 * Every kernel call @berth/runtime makes that Node has no API for goes through `Syscalls`.
 * Two implementations: the koffi one (`createSyscalls()`, the only code that loads koffi) and
 * the recording fake (`FakeSyscalls`) for unit tests.
 *
 * Contract for every method: on failure it throws a BerthError whose `code` is the errno name
 * (`EPERM`), whose `category` follows `errnoCategory()` (ENOENT -> not_found, EEXIST ->
 * already_exists, EINVAL -> invalid_argument, EPERM/EACCES -> permission_denied, ...), whose
 * message reads `failed to <verb> <object>: <ENAME> (<description>)`, and which carries the
 * `path` or `pid` involved. Methods are synchronous (they are fast kernel calls) except
 * `pidfdWait`, which waits on the event loop.
 */
export interface Syscalls {
  /** mount(2). `data` is the comma-separated option string (e.g. `size=1m,mode=755`). */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  /** umount2(2) with MNT_* flags. */
  umount2(target: string, flags?: number): void;
  /** pivot_root(2) (raw syscall; glibc has no wrapper). */
  pivotRoot(newRoot: string, putOld: string): void;
  /** setns(2) into the namespace `fd` refers to; `nstype` is a CLONE_NEW* flag or 0. */
  setns(fd: number, nstype: number): void;
  /** unshare(2) with CLONE_* flags. Affects the calling thread: rarely right from Node. */
  unshare(flags: number): void;
  /** prctl(2) with integer arguments; returns the call's result. */
  prctl(option: number, arg2?: number, arg3?: number, arg4?: number, arg5?: number): number;
  /** prctl(PR_GET_CHILD_SUBREAPER) (it returns through a pointer). */
  getChildSubreaper(): boolean;
  /** prctl(PR_SET_CHILD_SUBREAPER). */
  setChildSubreaper(on: boolean): void;
  /** pidfd_open(2): a file descriptor that refers to `pid` and never to a recycled pid. */
  pidfdOpen(pid: number, flags?: number): number;
  /** pidfd_send_signal(2). */
  pidfdSendSignal(pidfd: number, signal: number, flags?: number): void;
  /**
   * Resolves when the process behind `pidfd` has exited (the pidfd polls readable). Rejects with
   * a BerthError code `ETIMEDOUT` after `timeoutMs` when given. Does not close the fd.
   */
  pidfdWait(pidfd: number, timeoutMs?: number): Promise<void>;
  /** close(2). */
  close(fd: number): void;
  /** kill(2). Prefer pidfdSendSignal for anything that is not the caller's own child. */
  kill(pid: number, signal: number): void;
  /** capget(2), version 3, for `pid` (0 = caller). */
  capget(pid?: number): CapabilitySets;
  /** capset(2), version 3, for the calling thread. */
  capset(caps: CapabilitySets): void;
  /** mknod(2); `mode` includes the S_IF* type bits; `dev` from `makedev()`. */
  mknod(path: string, mode: number, dev?: number): void;
  /** mkfifo(3). */
  mkfifo(path: string, mode: number): void;
  lsetxattr(path: string, name: string, value: Uint8Array, flags?: number): void;
  /** The value of an extended attribute; throws ENODATA (category not_found) when unset. */
  lgetxattr(path: string, name: string): Buffer;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  chroot(path: string): void;
  sethostname(name: string): void;
  getpid(): number;
  /**
   * bpf(BPF_PROG_LOAD): loads `insns` (eBPF instructions, 8 bytes each) and returns the program
   * fd. On failure the message carries the last line of the verifier log.
   */
  bpfProgLoad(progType: number, insns: Uint8Array, license: string, expectedAttachType?: number): number;
  /** bpf(BPF_PROG_ATTACH) of `progFd` to `targetFd` (e.g. an O_DIRECTORY fd of a cgroup). */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags?: number): void;
  /** bpf(BPF_PROG_DETACH). */
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
}

/** The three capability sets, each a 64-bit mask (bit n = capability n). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}
