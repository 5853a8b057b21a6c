/**
 * Garbage collection of layer snapshots: committed snapshots named by a chain id (what
 * unpackImageLayers and the image builder commit) that no image record reaches any more. Other
 * committed snapshots are left alone. The build cache re-checks that a snapshot exists before
 * it uses one, so pruning a cached build layer only costs a rebuild of that step.
 * A snapshot with children (a container's RW layer, a longer chain still in use) is never
 * removed, so running containers keep their layers even after `rmi`.
 */
import { BerthError, causeText } from '../errors.js';
import type { ImageStore } from '../image/index.js';
import { noopLogger, type Logger } from '../logger.js';
import { chainIds, type SnapshotInfo, type Snapshotter } from '../snapshot/index.js';

export interface SnapshotPruneResult {
  readonly removed: readonly string[];
  /** Bytes the removed snapshots' own trees used on disk. */
  readonly freedBytes: number;
}

const CHAIN_ID = /^sha256:[0-9a-f]{64}$/;

/** Chain ids of every layer of every recorded image (records whose blobs are gone are skipped). */
export async function referencedChains(store: ImageStore, logger: Logger = noopLogger): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const r of await store.list()) {
    try {
      const d = await store.inspect(r.name);
      for (const c of chainIds(d.config.rootfs.diff_ids)) keep.add(c);
    } catch (err) {
      logger.warn('cannot read image to protect its snapshots', { image: r.name, err: causeText(err) });
    }
  }
  return keep;
}

export async function pruneSnapshots(store: ImageStore, snapshots: Snapshotter, opts: { logger?: Logger; dryRun?: boolean } = {}): Promise<SnapshotPruneResult> {
  const log = opts.logger ?? noopLogger;
  const keep = await referencedChains(store, log);
  const removed: string[] = [];
  let freedBytes = 0;
  for (;;) {
    const all = await snapshots.list();
    const gone = new Set(removed);
    const parents = new Set(all.filter((s) => !gone.has(s.name)).map((s) => s.parent).filter((p): p is string => p !== undefined));
    const victims = all.filter(
      (s: SnapshotInfo) => s.kind === 'committed' && CHAIN_ID.test(s.name) && !keep.has(s.name) && !parents.has(s.name) && !gone.has(s.name),
    );
    if (victims.length === 0) break;
    for (const v of victims) {
      const usage = await snapshots.usage(v.name).catch(() => ({ size: 0 }));
      if (!opts.dryRun) {
        try {
          await snapshots.remove(v.name);
        } catch (err) {
          // Another process made a child or removed it meanwhile: leave it.
          if (err instanceof BerthError && (err.category === 'failed_precondition' || err.category === 'not_found')) {
            keep.add(v.name);
            continue;
          }
          throw err;
        }
      }
      removed.push(v.name);
      freedBytes += usage.size;
      log.debug('pruned snapshot', { snapshot: v.name, size: usage.size });
    }
  }
  return { removed, freedBytes };
}
