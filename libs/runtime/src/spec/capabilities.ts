/**
 * Linux capability names and numbers (<linux/capability.h>), up to CAP_CHECKPOINT_RESTORE (40).
 * Lives in spec/ because validation needs the names and spec/ may not import process/;
 * process/capabilities.ts re-exports it and adds the bit-mask helpers the shim needs.
 */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** Highest capability number this table knows (CAP_LAST_CAP of Linux 5.9+). */
export const CAP_LAST_CAP = 40;

const BY_NUMBER: readonly string[] = Object.entries(CAPABILITIES)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name);

/** True when `name` is a capability name this table knows (exact, upper case, with CAP_). */
export function isKnownCapability(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(CAPABILITIES, name);
}

/** Number of a capability name, or undefined when unknown. */
export function capabilityNumber(name: string): number | undefined {
  return isKnownCapability(name) ? CAPABILITIES[name] : undefined;
}

/** Name of a capability number, or undefined when out of range. */
export function capabilityName(num: number): string | undefined {
  return BY_NUMBER[num];
}

/**
 * Why a capability name is invalid, or undefined when it is valid. Used by validateSpec.
 * Names must be spelled as in the OCI spec and runc: `CAP_` prefix, upper case.
 */
export function capabilityNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'capability must be a string';
  if (isKnownCapability(name)) return undefined;
  if (!name.startsWith('CAP_')) return `unknown capability "${name}" (names start with CAP_)`;
  return `unknown capability "${name}"`;
}
