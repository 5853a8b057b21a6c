import type { CgroupManager } from '../cgroups/types.js';
import type { Logger } from '../logger.js';
import type { ShimSpawner } from '../process/index.js';
import type { StateStore } from './state-store.js';

/**
 * What every lifecycle verb needs, built once by `Runtime`. Everything with a side effect on
 * the host outside the state directory is reachable from here, so verbs stay testable.
 */
export interface RuntimeContext {
  store: StateStore;
  /** Absolute path of the built berth-shim binary. */
  shimPath: string;
  logger: Logger;
  /**
   * The cgroup of a container. `cgroupsPath` is the spec's linux.cgroupsPath: absolute from the
   * hierarchy root, relative from the runtime's own cgroup, default `<own>/berth/<id>`.
   */
  openCgroup(containerId: string, cgroupsPath: string | undefined): CgroupManager;
  /** How shims are started (default 'auto': posix_spawn where available). */
  shimSpawner?: ShimSpawner;
}
