import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CgroupManager } from '../cgroups/types.js';
import { encodePlanMessage, type FastPathPlan } from '../process/index.js';
import type { ContainerRecord } from './state-store.js';

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
    ownPidNamespace: (rec.spec.linux?.namespaces ?? []).some((ns) => ns.type === 'pid' && !ns.path),
    ...(marker ? { thawedMarker: marker } : {}),
    cgroupDirs: [...new Set(cgroup.procsFiles().map((f) => dirname(f)))],
  };
}

/** Writes <state dir>/plan (tmp + rename, like state.json), if the container has a plan. */
export async function writeFastPathPlan(dir: string, rec: ContainerRecord, cgroup: CgroupManager): Promise<void> {
  const plan = fastPathPlan(rec, cgroup);
  if (!plan) return;
  const tmp = join(dir, `.plan.${process.pid}`);
  await writeFile(tmp, encodePlanMessage(plan), { mode: 0o600 });
  await rename(tmp, join(dir, 'plan'));
}
