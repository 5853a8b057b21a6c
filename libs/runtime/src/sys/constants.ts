/** Namespace flags for unshare(2)/setns(2)/clone(2), from <sched.h>. */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x00000080,
} as const;

/** umount2(2) flags. */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;

/** prctl(2) options used by the runtime. */
export const PR = {
  SET_PDEATHSIG: 1,
  GET_PDEATHSIG: 2,
  GET_DUMPABLE: 3,
  SET_DUMPABLE: 4,
  SET_NAME: 15,
  GET_NAME: 16,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  SET_SECUREBITS: 28,
  SET_CHILD_SUBREAPER: 36,
  GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
} as const;

/** File type bits for mknod(2), from <sys/stat.h>. */
export const S_IF = { FIFO: 0o010000, CHR: 0o020000, BLK: 0o060000, REG: 0o100000 } as const;

/** x86-64 syscall numbers that glibc 2.36 has no wrapper for. */
export const SYS = { pivot_root: 155, pidfd_send_signal: 424, pidfd_open: 434, bpf: 321 } as const;

/** Linux makedev(): the dev_t for a major/minor pair (fits in a double for all real devices). */
export function makedev(major: number, minor: number): number {
  const lo = (minor & 0xff) | ((major & 0xfff) << 8);
  const hi = (minor - (minor & 0xff)) * 2 ** 12 + (major - (major & 0xfff)) * 2 ** 32;
  return lo + hi;
}

/** bpf(2) commands, program/attach types and flags used by the runtime (<linux/bpf.h>). */
export const BPF = {
  PROG_LOAD: 5,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_TYPE_CGROUP_DEVICE: 15,
  CGROUP_DEVICE: 6,
  F_ALLOW_OVERRIDE: 1,
  F_ALLOW_MULTI: 2,
} as const;
