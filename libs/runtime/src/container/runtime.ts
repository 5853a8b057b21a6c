import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupManager } from '../cgroups/types.js';
import { noopLogger, type Logger } from '../logger.js';
import type { ExitRecord, ExecHandle, ShimSpawner } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateOptions, type CreateResult } from './create.js';
import { deleteContainer, type DeleteOptions } from './delete.js';
import { execContainer, type ExecOptions } from './exec.js';
import { killContainer, type KillOptions } from './kill.js';
import { pauseContainer, resumeContainer } from './pause.js';
import { runContainer, type RunOptions } from './run.js';
import { startContainer } from './start.js';
import { containerPids, containerState, containerStats, listContainers, type ContainerState } from './state.js';
import { StateStore } from './state-store.js';
import { defaultOpenCgroup } from './host.js';

export interface RuntimeOptions {
  /** State directory (runc's --root); one subdirectory per container. */
  root: string;
  shimPath?: string;
  logger?: Logger;
  openCgroup?: (containerId: string, cgroupsPath: string | undefined) => CgroupManager;
  /**
   * How shims are started: 'posix_spawn' (no copy of this process's page tables), Node's
   * 'child_process', or 'auto' (the default: posix_spawn where koffi and pidfds work).
   */
  shimSpawner?: ShimSpawner;
}

/**
 * Where `make -C libs/runtime/native` puts the shim: relative to this compiled file
 * (dist/container/runtime.js) or to the bundled CLI (dist/berth-runtime.cjs).
 */
const shimCandidates = ['../../native/build/berth-shim', '../native/build/berth-shim'].map((rel) => join(import.meta.dirname, rel));
export const DEFAULT_SHIM_PATH: string = shimCandidates.find((p) => existsSync(p)) ?? (shimCandidates[0] as string);

/**
 * The container runtime library's entry point: the OCI lifecycle verbs over one state root.
 * Stateless between calls (everything lives under `root`), so several processes - the agent,
 * berth-runtime, berth-node - can use the same root.
 */
export class Runtime {
  readonly ctx: RuntimeContext;

  constructor(opts: RuntimeOptions) {
    this.ctx = {
      store: new StateStore(opts.root),
      shimPath: opts.shimPath ?? DEFAULT_SHIM_PATH,
      logger: opts.logger ?? noopLogger,
      openCgroup: opts.openCgroup ?? defaultOpenCgroup,
      ...(opts.shimSpawner ? { shimSpawner: opts.shimSpawner } : {}),
    };
  }

  create(opts: CreateOptions): Promise<CreateResult> {
    return createContainer(this.ctx, opts);
  }
  start(id: string): Promise<void> {
    return startContainer(this.ctx, id);
  }
  run(opts: RunOptions): Promise<ExitRecord | undefined> {
    return runContainer(this.ctx, opts);
  }
  state(id: string): Promise<ContainerState> {
    return containerState(this.ctx, id);
  }
  list(): Promise<ContainerState[]> {
    return listContainers(this.ctx);
  }
  kill(id: string, signal: string | number, opts?: KillOptions): Promise<void> {
    return killContainer(this.ctx, id, signal, opts);
  }
  delete(id: string, opts?: DeleteOptions): Promise<void> {
    return deleteContainer(this.ctx, id, opts);
  }
  pause(id: string): Promise<void> {
    return pauseContainer(this.ctx, id);
  }
  resume(id: string): Promise<void> {
    return resumeContainer(this.ctx, id);
  }
  exec(id: string, opts: ExecOptions): Promise<ExecHandle> {
    return execContainer(this.ctx, id, opts);
  }
  pids(id: string): Promise<number[]> {
    return containerPids(this.ctx, id);
  }
  stats(id: string) {
    return containerStats(this.ctx, id);
  }
}
