import type { Logger } from '../logger.js';
import { noopLogger } from '../logger.js';
import type { CgroupManager } from './types.js';

/** Stops an OOM watcher. */
export interface OomWatcher {
  close(): void;
}

/**
 * Calls `onOom(newKills, total)` whenever the cgroup's OOM-kill count grows. Polls
 * `oomKillCount()` (v1 memory.oom_control, v2 memory.events), which works on both versions
 * without an eventfd; read errors (cgroup gone) stop the watcher after logging.
 */
export function watchOomKills(
  manager: CgroupManager,
  onOom: (newKills: number, total: number) => void,
  opts: { intervalMs?: number; logger?: Logger } = {},
): OomWatcher {
  const log = opts.logger ?? noopLogger;
  let last: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    try {
      const n = await manager.oomKillCount();
      if (last !== undefined && n > last && !stopped) onOom(n - last, n);
      last = n;
    } catch (err) {
      log.warn('OOM watcher stopped: cannot read OOM count', { cgroup: manager.path, err: String(err) });
      stopped = true;
    }
    if (!stopped) timer = setTimeout(() => void tick(), opts.intervalMs ?? 250);
  };
  void tick();
  return {
    close() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
