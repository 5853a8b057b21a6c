/**
 * Test helper: performs Mount data with mount(8), the way the rootfs layer will with mount(2).
 * Returns an unmount function for `finally` blocks.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Mount } from './types.js';

export function mountAt(mounts: readonly Mount[], target: string): () => void {
  const done: string[] = [];
  const umount = (): void => {
    for (const t of done.reverse()) execFileSync('umount', [t]);
    done.length = 0;
  };
  try {
    for (const m of mounts) {
      const at = m.target === undefined ? target : join(target, m.target);
      if (m.type === 'overlay') {
        execFileSync('mount', ['-t', 'overlay', m.source, '-o', m.options.join(','), at]);
      } else {
        execFileSync('mount', ['--bind', m.source, at]);
        done.push(at);
        if (m.options.includes('ro')) execFileSync('mount', ['-o', 'remount,bind,ro', at]);
        continue;
      }
      done.push(at);
    }
  } catch (err) {
    umount();
    throw err;
  }
  return umount;
}
