/**
 * Performs a snapshot's mounts (data from the snapshotter) on the host, for the duration of one
 * build step, and undoes them. Overlay: one mount(2) of type overlay; bind: MS_BIND (+ a
 * read-only remount when asked). https://docs.kernel.org/filesystems/overlayfs.html
 */
import { join } from 'node:path';
import { posix } from 'node:path';
import { createSyscalls } from '../../sys/index.js';
import type { Syscalls } from '../../sys/index.js';
import { MNT } from '../../sys/index.js';
import type { BuildMount } from './ports.js';

const MS_RDONLY = 0x1;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;

/** Mounts `mounts` at `target` in order; returns an unmount function (reverse order). */
export function mountAll(mounts: readonly BuildMount[], target: string, sys: Syscalls = createSyscalls()): () => void {
  const done: string[] = [];
  const undo = (): void => {
    for (const t of done.reverse()) sys.umount2(t, MNT.DETACH);
    done.length = 0;
  };
  try {
    for (const m of mounts) {
      const at = m.target === undefined ? target : join(target, posix.normalize(`/${m.target}`));
      if (m.type === 'overlay') {
        sys.mount(m.source, at, 'overlay', 0, m.options.join(','));
        done.push(at);
      } else if (m.type === 'bind') {
        sys.mount(m.source, at, null, MS_BIND | (m.options.includes('rbind') ? MS_REC : 0), null);
        done.push(at);
        if (m.options.includes('ro')) sys.mount(null, at, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
      } else {
        throw new Error(`unsupported mount type ${JSON.stringify(m.type)}`);
      }
    }
  } catch (err) {
    undo();
    throw err;
  }
  return undo;
}

/** The overlay upperdir (or rw bind source) a step's changes land in. */
export function upperDirOf(mounts: readonly BuildMount[]): string {
  const m = mounts[mounts.length - 1];
  const upper = m?.type === 'overlay' ? m.options.find((o) => o.startsWith('upperdir='))?.slice(9) : undefined;
  if (upper !== undefined) return upper;
  if (m?.type === 'bind' && !m.options.includes('ro')) return m.source;
  throw new Error(`no writable directory in mounts ${JSON.stringify(mounts)}`);
}

/** The lower directories (top first), for applyLayer's parent metadata. */
export function lowerDirsOf(mounts: readonly BuildMount[]): string[] {
  const m = mounts[mounts.length - 1];
  const opt = m?.type === 'overlay' ? m.options.find((o) => o.startsWith('lowerdir=')) : undefined;
  return opt ? opt.slice(9).split(':') : [];
}
