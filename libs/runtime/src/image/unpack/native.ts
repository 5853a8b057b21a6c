/**
 * Minimal koffi binding for the calls layer unpack needs and Node lacks: mknod(2) (whiteouts,
 * device nodes, fifos) and the l*xattr(2) family. Temporary home until libs/runtime/src/sys/
 * offers the same calls; {@link LayerSyscalls} is the seam, so callers may pass any object with
 * these methods (the sys layer's Syscalls, or a fake in tests).
 */
import { createRequire } from 'node:module';
import { BerthError } from '../../errors.js';

/** The kernel calls applyLayer and diffDirectories use. Paths never follow a final symlink. */
export interface LayerSyscalls {
  /** mknod(2); `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, dev: number): void;
  /** lsetxattr(2) with flags 0. */
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** lgetxattr(2); undefined when the attribute is absent (ENODATA). */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /** llistxattr(2): attribute names; empty when the filesystem has none. */
  llistxattr(path: string): string[];
}

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev() for the 64-bit dev_t, exact for majors/minors below 2^20. */
export function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 256 + (minor & 0xff) + (minor & ~0xff) * 4096 + Math.floor(major / 4096) * 2 ** 32 * 4096;
}

/** Major number of a dev_t (inverse of {@link makedev}). */
export function major(dev: number): number {
  return (Math.floor(dev / 256) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
}

/** Minor number of a dev_t (inverse of {@link makedev}). */
export function minor(dev: number): number {
  return (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfffff);
}

interface Koffi {
  load(path: string): { func(decl: string): (...args: unknown[]) => number };
  errno(): number;
}

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC', 34: 'ERANGE', 61: 'ENODATA', 95: 'EOPNOTSUPP' };

function sysError(call: string, path: string, errno: number): Error {
  const code = ERRNO[errno] ?? `errno ${errno}`;
  return Object.assign(new Error(`${call} ${path}: ${code}`), { code, errno, syscall: call, path });
}

let cached: LayerSyscalls | undefined;

/** Loads libc through koffi once and returns the real implementation. */
export function nativeLayerSyscalls(): LayerSyscalls {
  if (cached) return cached;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    throw new BerthError('sys_unavailable', 'unavailable', `failed to load koffi: ${String(err)}`, { cause: err });
  }
  const libc = koffi.load('libc.so.6');
  const mknod = libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)');
  const lsetxattr = libc.func('int lsetxattr(const char *path, const char *name, const uint8_t *value, size_t size, int flags)');
  const lgetxattr = libc.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)');
  const llistxattr = libc.func('intptr_t llistxattr(const char *path, _Out_ uint8_t *list, size_t size)');
  cached = {
    mknod(path, mode, dev) {
      if (mknod(path, mode, dev) !== 0) throw sysError('mknod', path, koffi.errno());
    },
    lsetxattr(path, name, value) {
      if (lsetxattr(path, name, value, value.length, 0) !== 0) throw sysError('lsetxattr', path, koffi.errno());
    },
    lgetxattr(path, name) {
      for (let size = 256; ; size *= 4) {
        const buf = Buffer.alloc(size);
        const n = lgetxattr(path, name, buf, size);
        if (n >= 0) return buf.subarray(0, n);
        const e = koffi.errno();
        if (e === 61) return undefined;
        if (e !== 34 || size > 1 << 20) throw sysError('lgetxattr', path, e);
      }
    },
    llistxattr(path) {
      for (let size = 1024; ; size *= 4) {
        const buf = Buffer.alloc(size);
        const n = llistxattr(path, buf, size);
        if (n >= 0) return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s.length > 0);
        const e = koffi.errno();
        if (e === 95) return [];
        if (e !== 34 || size > 1 << 20) throw sysError('llistxattr', path, e);
      }
    },
  };
  return cached;
}
