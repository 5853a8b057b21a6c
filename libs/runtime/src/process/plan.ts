import { MessageBuilder, MSG_KIND, TAG } from './protocol.js';

/** A process as the lifecycle identifies it: pid plus field 22 of /proc/<pid>/stat. */
export interface PlannedProcess {
  pid: number;
  startTime: number;
}

/**
 * What the native `start` and `delete` (native/fastpath.c) may do for one container, decided
 * at create. Everything it does not cover - hooks, a frozen or pid-namespace-less container
 * that is still running, nested cgroups - it leaves to the TypeScript verbs.
 */
export interface FastPathPlan {
  init: PlannedProcess;
  shim?: PlannedProcess;
  /** The container has its own pid namespace: killing its init ends every process in it. */
  ownPidNamespace: boolean;
  /** A file that starts with `thawed` while the cgroup is not frozen. */
  thawedMarker?: { file: string; thawed: string };
  /** Cgroup directories to remove, one per hierarchy. */
  cgroupDirs: string[];
}

/** The plan in the shim's wire format (MSG_KIND.plan), as <state dir>/plan holds it. */
export function encodePlanMessage(plan: FastPathPlan): Buffer {
  const b = new MessageBuilder(MSG_KIND.plan);
  const proc = (tag: number, what: string, p: PlannedProcess) =>
    b.add(tag, what, (f) => f.u32(p.pid, 'pid').u64(BigInt(p.startTime), 'start time'));
  proc(TAG.PLAN_INIT, 'plan init', plan.init);
  if (plan.shim) proc(TAG.PLAN_SHIM, 'plan shim', plan.shim);
  if (plan.ownPidNamespace) b.add(TAG.PLAN_OWN_PIDNS, 'plan pid namespace');
  const m = plan.thawedMarker;
  if (m) b.add(TAG.PLAN_FREEZER, 'plan freezer', (f) => f.str(m.file, 'file').str(m.thawed, 'thawed'));
  for (const d of plan.cgroupDirs) b.str(TAG.PLAN_CGROUP, 'plan cgroup', d);
  return b.finish();
}
