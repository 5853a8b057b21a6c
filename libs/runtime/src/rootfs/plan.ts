/**
 * planRootfs: a validated spec -> the RootfsPlan the native shim executes, following runc's
 * libcontainer/rootfs_linux.go (mount translation, default devices, /dev symlinks, ptmx,
 * root propagation). Pure apart from stat() of bind sources, which is injectable.
 */
import { statSync } from 'node:fs';
import { isAbsolute, posix, resolve } from 'node:path';
import { BerthError, causeText } from '../errors.js';
import { defaultDevices } from '../spec/defaults.js';
import type { LinuxDevice, Mount, Spec } from '../spec/types.js';
import { parseMountOptions, PROPAGATION_OPTIONS } from './plan-options.js';
import { MS, type PlannedDevice, type PlannedMount, type RootfsPlan } from './types.js';

export interface PlanOptions {
  /** stat(2) of a bind source (follows symlinks, like runc); default fs.statSync. */
  stat?: (path: string) => { isDirectory(): boolean };
}

function invalid(msg: string, path?: string): BerthError {
  return new BerthError('invalid_spec', 'invalid_argument', `failed to plan rootfs: ${msg}`, path === undefined ? {} : { path });
}

/** Plans the root filesystem of `spec` whose bundle is the absolute directory `bundleDir`. */
export function planRootfs(spec: Spec, bundleDir: string, opts: PlanOptions = {}): RootfsPlan {
  if (!isAbsolute(bundleDir)) throw invalid(`bundle directory "${bundleDir}" is not absolute`);
  if (!spec.root?.path) throw invalid('root.path is missing');
  const stat = opts.stat ?? statSync;
  const mounts = (spec.mounts ?? []).map((m, i) => planMount(m, i, bundleDir, stat));
  const linux = spec.linux ?? {};
  let rootPropagation = MS.SLAVE | MS.REC;
  if (linux.rootfsPropagation !== undefined) {
    const flag = PROPAGATION_OPTIONS[linux.rootfsPropagation];
    if (flag === undefined) throw invalid(`unknown rootfsPropagation "${linux.rootfsPropagation}"`);
    rootPropagation = flag;
  }
  // Like runc's needsSetupDev: a bind-mounted /dev brings its own nodes and links.
  const setupDev = !mounts.some((m) => m.target === '/dev' && (m.flags & MS.BIND) !== 0);
  return {
    rootfs: resolve(bundleDir, spec.root.path),
    rootPropagation,
    readonlyRoot: spec.root.readonly ?? false,
    mounts,
    devices: setupDev ? planDevices(linux.devices ?? []) : [],
    symlinks: setupDev ? devSymlinks(mounts) : [],
    maskedPaths: [...(linux.maskedPaths ?? [])],
    readonlyPaths: [...(linux.readonlyPaths ?? [])],
  };
}

function planMount(m: Mount, index: number, bundleDir: string, stat: NonNullable<PlanOptions['stat']>): PlannedMount {
  if (typeof m.destination !== 'string' || !m.destination.startsWith('/')) {
    throw invalid(`mounts[${index}].destination ${JSON.stringify(m.destination)} is not an absolute path`);
  }
  const target = posix.normalize(m.destination).replace(/(.)\/$/, '$1');
  const where = `mounts[${index}] ${target}`;
  const parsed = parseMountOptions(m.options ?? [], where);
  let flags = parsed.flags;
  const type = m.type ?? '';
  const bind = type === 'bind' || (flags & MS.BIND) !== 0;
  if (!bind) {
    if (type === '' || type === 'none') throw invalid(`${where} has no filesystem type and is not a bind mount`);
    return { source: m.source ?? type, target, fstype: type, flags, data: parsed.data, propagation: parsed.propagation, remountFlags: 0, createAs: 'dir' };
  }
  flags |= MS.BIND;
  if (!m.source) throw invalid(`${where} is a bind mount without a source`);
  // runc resolves a relative bind source against the bundle directory.
  const source = resolve(bundleDir, m.source);
  let isDir: boolean;
  try {
    isDir = stat(source).isDirectory();
  } catch (err) {
    throw new BerthError('mount_source_not_found', 'not_found', `failed to plan mount ${target}: stat ${source}: ${causeText(err)}`, {
      cause: err,
      path: source,
    });
  }
  // The first bind ignores ro/nosuid/...; runc remounts with them when any is set.
  const extra = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  return {
    source,
    target,
    fstype: '',
    flags,
    data: parsed.data,
    propagation: parsed.propagation,
    remountFlags: extra !== 0 ? (flags | MS.REMOUNT) >>> 0 : 0,
    createAs: isDir ? 'dir' : 'file',
  };
}

/** Default devices, then the spec's; a spec device replaces a default with the same path. */
function planDevices(devices: readonly LinuxDevice[]): PlannedDevice[] {
  const byPath = new Map<string, PlannedDevice>();
  const all: LinuxDevice[] = [...defaultDevices(), ...devices];
  for (const d of all) {
    if (!d.path.startsWith('/')) throw invalid(`device path "${d.path}" is not absolute`);
    const path = posix.normalize(d.path);
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) throw invalid(`device ${path} needs major and minor numbers`);
    byPath.set(path, {
      path,
      type: d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      fileMode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  }
  return [...byPath.values()];
}

function devSymlinks(mounts: readonly PlannedMount[]): { path: string; target: string }[] {
  const links = [
    { path: '/dev/fd', target: '/proc/self/fd' },
    { path: '/dev/stdin', target: '/proc/self/fd/0' },
    { path: '/dev/stdout', target: '/proc/self/fd/1' },
    { path: '/dev/stderr', target: '/proc/self/fd/2' },
  ];
  if (mounts.some((m) => m.fstype === 'proc' && m.target === '/proc')) links.push({ path: '/dev/core', target: '/proc/kcore' });
  if (mounts.some((m) => m.fstype === 'devpts' && m.target === '/dev/pts')) links.push({ path: '/dev/ptmx', target: 'pts/ptmx' });
  return links;
}
