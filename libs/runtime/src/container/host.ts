import { createCgroupManager } from '../cgroups/index.js';
import type { CgroupManager } from '../cgroups/types.js';
import { createSyscalls } from '../sys/index.js';

/** The real host: cgroups detected from /proc/self/mountinfo, mkfifo through libc. */
export function defaultOpenCgroup(containerId: string, cgroupsPath: string | undefined): CgroupManager {
  return createCgroupManager({ path: cgroupsPath, containerId });
}

let sys: ReturnType<typeof createSyscalls> | undefined;
export function defaultMkfifo(path: string, mode: number): void {
  sys ??= createSyscalls();
  sys.mkfifo(path, mode);
}
