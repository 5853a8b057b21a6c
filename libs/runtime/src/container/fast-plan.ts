import { dirname } from 'node:path';
import type { CgroupManager } from '../cgroups/types.js';
import { encodePlanMessage, type FastPathPlan } from '../process/index.js';
import type { ContainerRecord, StateStore } from './state-store.js';
import { ownsPidNamespace } from './status.js';

/**
 * The plan for berth-runtime's native `start` and `delete` (native/fastpath.c), or undefined
 * when they must run here: a container with poststart or poststop hooks (Node runs hooks).
 */
export function fastPathPlan(rec: ContainerRecord, cgroup: CgroupManager): FastPathPlan | undefined {
  const hooks = rec.spec.hooks;
  if (hooks?.poststart?.length || hooks?.poststop?.length) return undefined;
  const marker = cgroup.thawedMarker?.();
  return {
    init: { pid: rec.initPid, startTime: rec.initStartTime },
    ...(rec.shimStartTime !== undefined ? { shim: { pid: rec.shimPid, startTime: rec.shimStartTime } } : {}),
    ownPidNamespace: ownsPidNamespace(rec),
    ...(marker ? { thawedMarker: marker } : {}),
    cgroupDirs: [...new Set(cgroup.procsFiles().map((f) => dirname(f)))],
  };
}

/** Writes <state dir>/plan (atomically, like state.json), if the container has a plan. */
export function writeFastPathPlan(store: StateStore, rec: ContainerRecord, cgroup: CgroupManager): void {
  const plan = fastPathPlan(rec, cgroup);
  if (plan) store.writeFile(rec.id, 'plan', encodePlanMessage(plan));
}
