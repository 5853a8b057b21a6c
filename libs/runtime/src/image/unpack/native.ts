/**
 * The calls layer unpack needs and Node lacks: mknod(2) (whiteouts, device nodes, fifos) and the
 * l*xattr(2) family. {@link LayerSyscalls} is the seam, so callers may pass a fake in tests; the
 * real one adapts the sys layer.
 */
import { BerthError } from '../../errors.js';
import { createSyscalls, type Syscalls } from '../../sys/index.js';

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

let cached: LayerSyscalls | undefined;

/** The calls layer unpack needs, over any {@link Syscalls} (absent xattrs read as undefined / []). */
export function layerSyscallsFrom(sys: Syscalls): LayerSyscalls {
  const code = (err: unknown) => (err instanceof BerthError ? err.code : undefined);
  return {
    mknod: (path, mode, dev) => sys.mknod(path, mode, dev),
    lsetxattr: (path, name, value) => sys.lsetxattr(path, name, value),
    lgetxattr(path, name) {
      try {
        return sys.lgetxattr(path, name);
      } catch (err) {
        if (code(err) === 'ENODATA') return undefined;
        throw err;
      }
    },
    llistxattr(path) {
      try {
        return sys.llistxattr(path);
      } catch (err) {
        if (code(err) === 'EOPNOTSUPP') return [];
        throw err;
      }
    },
  };
}

/** The real implementation, through the sys layer (the only place koffi is loaded). */
export function nativeLayerSyscalls(): LayerSyscalls {
  cached ??= layerSyscallsFrom(createSyscalls());
  return cached;
}
