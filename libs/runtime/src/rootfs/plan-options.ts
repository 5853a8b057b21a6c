/**
 * Mount option strings -> mount(2) flags, propagation and fs data, with runc's tables
 * (libcontainer/specconv/spec_linux.go): a flag option sets or clears a bit, a propagation
 * option becomes its own mount(2) call, and anything else is passed to the filesystem as data.
 */
import { BerthError } from '../errors.js';
import { MS } from './types.js';

/** [clear, flag]: clear=true means the option removes the flag (e.g. "rw" clears MS_RDONLY). */
const FLAG_OPTIONS: Readonly<Record<string, readonly [boolean, number]>> = Object.freeze({
  async: [true, MS.SYNCHRONOUS],
  atime: [true, MS.NOATIME],
  bind: [false, MS.BIND],
  defaults: [false, 0],
  dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME],
  dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC],
  lazytime: [false, MS.LAZYTIME],
  nolazytime: [true, MS.LAZYTIME],
  loud: [true, MS.SILENT],
  mand: [false, MS.MANDLOCK],
  noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC],
  nomand: [true, MS.MANDLOCK],
  norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID],
  nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  silent: [false, MS.SILENT],
  strictatime: [false, MS.STRICTATIME],
  suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS],
});

/** Propagation options (also used for linux.rootfsPropagation). */
export const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = Object.freeze({
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
});

/**
 * runc extensions that need mount_setattr(2), id-mapped mounts or a copy step; the plan has no
 * way to express them yet, and passing them on as fs data would make mount(2) fail obscurely.
 */
const UNSUPPORTED = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow',
  'rsymfollow', 'idmap', 'ridmap', 'tmpcopyup',
]);

export interface ParsedOptions {
  flags: number;
  propagation: number[];
  data: string;
}

/** Translates one mount's options; `where` names the mount in errors (e.g. "mounts[3] /data"). */
export function parseMountOptions(options: readonly string[], where: string): ParsedOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const opt of options) {
    const flag = FLAG_OPTIONS[opt];
    if (flag) {
      const [clear, bit] = flag;
      flags = clear ? flags & ~bit : flags | bit;
      continue;
    }
    const prop = PROPAGATION_OPTIONS[opt];
    if (prop !== undefined) {
      propagation.push(prop);
      continue;
    }
    if (UNSUPPORTED.has(opt)) {
      throw new BerthError(
        'unsupported_mount_option',
        'invalid_argument',
        `failed to plan mount ${where}: option "${opt}" is not supported`,
      );
    }
    data.push(opt);
  }
  return { flags: flags >>> 0, propagation, data: data.join(',') };
}
