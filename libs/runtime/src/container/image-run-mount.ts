/**
 * Mounting a snapshot's mounts (data from the snapshotter) on a bundle's rootfs on the host,
 * the one place Berth mounts a rootfs itself - as containerd does before it calls runc. The
 * container's own mount namespace then sees the overlay as its root.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { BerthError, causeText } from '../errors.js';
import { MS } from '../rootfs/index.js';
import type { SnapshotMount } from '../snapshot/index.js';
import { MNT, type Syscalls } from '../sys/index.js';

export type MountSyscalls = Pick<Syscalls, 'mount' | 'umount2'>;

const FLAG_OPTIONS: Record<string, number> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  noatime: MS.NOATIME,
  relatime: MS.RELATIME,
};

/** fstab options -> mount(2) flags and the data string of what the kernel parses itself. */
export function mountArgs(m: SnapshotMount): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of m.options) {
    if (o === 'rw') continue;
    if (o === 'bind') flags |= MS.BIND;
    else if (o === 'rbind') flags |= MS.BIND | MS.REC;
    else if (FLAG_OPTIONS[o] !== undefined) flags |= FLAG_OPTIONS[o];
    else data.push(o);
  }
  if (m.type === 'bind') flags |= MS.BIND;
  return { flags, data: data.join(',') };
}

/**
 * Performs `mounts` in order on `target` (a mount's own `target` is relative to it). A bind
 * mount asked read-only is remounted read-only, as the kernel ignores MS_RDONLY on the first
 * bind. On failure every mount made so far is undone before the error is thrown.
 */
export function mountAll(sys: MountSyscalls, mounts: readonly SnapshotMount[], target: string): void {
  const done: string[] = [];
  try {
    for (const m of mounts) {
      const rel = m.target ?? '';
      if (isAbsolute(rel) || normalize(rel).startsWith('..')) {
        throw new BerthError('invalid_mount', 'invalid_argument', `failed to mount ${m.type} ${m.source}: target ${JSON.stringify(rel)} leaves the rootfs`);
      }
      const at = rel === '' ? target : join(target, rel);
      const { flags, data } = mountArgs(m);
      if (m.type === 'bind') {
        sys.mount(m.source, at, null, flags & (MS.BIND | MS.REC), null);
        done.push(at);
        if (flags & ~(MS.BIND | MS.REC)) sys.mount(null, at, null, MS.REMOUNT | MS.BIND | (flags & ~(MS.BIND | MS.REC)), null);
      } else {
        sys.mount(m.source, at, m.type, flags, data === '' ? null : data);
        done.push(at);
      }
    }
  } catch (err) {
    for (const at of done.reverse()) {
      try {
        sys.umount2(at, MNT.DETACH);
      } catch {
        /* the original error matters more */
      }
    }
    throw err;
  }
}

/** Mount points at or beneath `dir` in /proc/self/mountinfo, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const point = f[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point !== undefined && (point === dir || point.startsWith(`${dir}/`))) out.push(point);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or beneath `dir`; a busy mount is retried for a moment and then
 * detached (MNT_DETACH), so a removal never leaves a mount behind.
 */
export async function unmountAll(sys: MountSyscalls, dir: string): Promise<void> {
  for (let round = 0; round < 8; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) {
      try {
        sys.umount2(p, round < 5 ? 0 : MNT.DETACH);
      } catch (err) {
        const code = err instanceof BerthError ? err.code : '';
        if (code === 'EINVAL' || code === 'ENOENT') continue;
        if (code !== 'EBUSY') throw new BerthError('unmount_failed', 'internal', `failed to unmount ${p}: ${causeText(err)}`, { cause: err, path: p });
      }
    }
    await new Promise((r) => setTimeout(r, 50 * (round + 1)));
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new BerthError('unmount_failed', 'internal', `failed to unmount ${dir}: still mounted: ${left.join(', ')}`, { path: dir });
}
