/**
 * Kernel constants for seccomp filters: <linux/seccomp.h>, <linux/filter.h>, <linux/audit.h>.
 * https://docs.kernel.org/userspace-api/seccomp_filter.html
 */

/** Return values of a filter (the high 16 bits select the action, the low 16 bits its data). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/**
 * seccomp(2) SECCOMP_SET_MODE_FILTER flags by the names the OCI spec uses in linux.seccomp.flags
 * (NEW_LISTENER and TSYNC_ESRCH are not spec flags but are set by the runtime itself).
 */
export const SECCOMP_FILTER_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 8,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 16,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
});

export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 syscalls are x86_64 syscalls with this bit set in seccomp_data.nr. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }. */
export const SECCOMP_DATA = { NR: 0, ARCH: 4, IP: 8, ARGS: 16 } as const;

/** Classic BPF opcode parts (<linux/bpf_common.h>). */
export const BPF = {
  LD: 0x00,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  ABS: 0x20,
  K: 0x00,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  AND: 0x50,
} as const;

/** Longest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export const EPERM = 1;
