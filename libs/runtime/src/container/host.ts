import { createCgroupManager } from '../cgroups/index.js';
import type { CgroupManager } from '../cgroups/types.js';

/** The real host: cgroups detected from /proc/self/mountinfo. */
export function defaultOpenCgroup(containerId: string, cgroupsPath: string | undefined): CgroupManager {
  return createCgroupManager({ path: cgroupsPath, containerId });
}
