import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { causeText, errnoCode, BerthError } from '../errors.js';
import type { Spec, State } from '../spec/types.js';
import { parseSpec } from '../spec/index.js';
import { planRootfs } from '../rootfs/index.js';
import { compileSeccomp } from '../process/seccomp/index.js';
import { launchInit, type InitHandle } from '../process/index.js';
import type { CgroupManager } from '../cgroups/types.js';
import type { RuntimeContext } from './context.js';
import { ContainerError, checkContainerId } from './errors.js';
import { runHooks } from './hooks.js';
import { readProcStat } from './proc.js';
import { expandCgroupMounts } from './cgroup-mounts.js';
import { effectiveResources } from './devices.js';
import { writeFastPathPlan } from './fast-plan.js';
import type { ContainerRecord } from './state-store.js';

export interface CreateOptions {
  id: string;
  /** Bundle directory holding config.json (absolute or relative to cwd). */
  bundle: string;
  /** An already parsed spec; default: read `<bundle>/config.json`. */
  spec?: Spec;
  consoleSocket?: string;
  pidFile?: string;
  /**
   * 'inherit': the caller's stdio pass through to the container (runc's default);
   * files: the supervisor writes a CRI-format log.
   */
  stdio?: 'inherit' | { stdout: string; stderr: string };
  /** false only for `run` in the foreground: no exec FIFO, caller waits for the exit. */
  detach?: boolean;
  /** Skip the create/start split (used by `run`). */
  noExecFifo?: boolean;
  /**
   * Write <state dir>/plan for berth-runtime's native start and delete (default true; a
   * foreground `run` removes the container itself).
   */
  fastPathPlan?: boolean;
}

export interface CreateResult {
  record: ContainerRecord;
  handle: InitHandle;
  /** The container's cgroup, as opened by create. */
  cgroup: CgroupManager;
}

async function loadSpec(id: string, bundle: string): Promise<Spec> {
  const file = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8'); // a local file of a few kilobytes: no thread-pool round trip
  } catch (err) {
    throw new ContainerError('bundle_invalid', `failed to read bundle config ${file}: ${causeText(err)}`, {
      containerId: id,
      path: file,
      cause: err,
    });
  }
  return parseSpec(text);
}

/**
 * OCI `create`: everything up to the exec FIFO. The container's init waits there until `start`.
 * A failure at any step undoes every earlier one (process, cgroup, state directory) and throws
 * the original error; cleanup failures are logged, not thrown.
 */
export async function createContainer(ctx: RuntimeContext, opts: CreateOptions): Promise<CreateResult> {
  const { id } = opts;
  checkContainerId(id);
  const bundle = resolve(opts.bundle);
  const spec = opts.spec ?? (await loadSpec(id, bundle));
  if (!spec.process) {
    throw new ContainerError('bundle_invalid', `failed to create container ${id}: config.json has no process`, { containerId: id });
  }
  const rootPath = spec.root?.path ?? 'rootfs';
  const rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
  try {
    const st = statSync(rootfs);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? 'no such directory' : causeText(err);
    throw new ContainerError('rootfs_missing', `failed to create container ${id}: rootfs ${rootfs}: ${why}`, {
      containerId: id,
      path: rootfs,
      cause: err,
    });
  }
  const seccomp = spec.linux?.seccomp ? compileSeccomp(spec.linux.seccomp) : undefined;

  const dir = await ctx.store.reserve(id);
  const undo: (() => Promise<void>)[] = [async () => ctx.store.remove(id)];
  let cgroup: CgroupManager | undefined;
  try {
    cgroup = ctx.openCgroup(id, spec.linux?.cgroupsPath);
    await cgroup.create();
    const cg = cgroup;
    undo.push(async () => {
      await cg.kill('SIGKILL').catch(() => undefined);
      await cg.destroy();
    });
    const resources = effectiveResources(spec);
    if (resources) await cgroup.set(resources);

    const plan = expandCgroupMounts(planRootfs(spec, bundle), cgroup.procsFiles());
    const oomEventsFile = cgroup.oomEventsFile();
    const selfFiles = cgroup.selfPlacementFiles?.();
    const execFifo = join(dir, 'exec.fifo');

    const record: ContainerRecord = {
      id,
      bundle,
      rootfs,
      phase: 'creating',
      initPid: 0,
      initStartTime: 0,
      shimPid: 0,
      createdAt: new Date().toISOString(),
      cgroupsPath: spec.linux?.cgroupsPath ?? null,
      execFifo,
      annotations: spec.annotations ?? {},
      spec,
      owner: process.getuid?.() === 0 ? 'root' : String(process.getuid?.() ?? ''),
    };
    await ctx.store.write(record);
    const stateOf = (pid: number): State => ({
      ociVersion: '1.2.0',
      id,
      status: 'creating',
      pid,
      bundle,
      ...(Object.keys(record.annotations).length ? { annotations: record.annotations } : {}),
    });

    const hooks = spec.hooks ?? {};
    const handle = await launchInit({
      shimPath: ctx.shimPath,
      containerId: id,
      stateDir: dir,
      spec,
      rootfs: plan,
      namespaces: spec.linux?.namespaces ?? [],
      uidMappings: spec.linux?.uidMappings ?? [],
      gidMappings: spec.linux?.gidMappings ?? [],
      cgroupProcsFiles: cgroup.procsFiles(),
      ...(selfFiles ? { cgroupSelfFiles: selfFiles } : {}),
      ...(oomEventsFile ? { oomEventsFile } : {}),
      ...(seccomp ? { seccomp } : {}),
      ...(opts.consoleSocket ? { consoleSocket: opts.consoleSocket } : {}),
      ...(opts.noExecFifo ? {} : { execFifo }),
      stdio: opts.stdio ?? 'inherit',
      exitFile: join(dir, 'exit'),
      detach: opts.detach ?? true,
      ...(ctx.shimSpawner ? { spawner: ctx.shimSpawner } : {}),
      // The init waits for Node's "go" even without hooks: releasing it from the shim at once
      // measured ~1 ms slower per run here (A/B, in-process and CLI).
      hooks: {
        createRuntime: async (pid: number) => {
          // prestart is deprecated but still honoured, run like runc: before createRuntime.
          await runHooks(hooks.prestart, stateOf(pid), 'prestart');
          await runHooks(hooks.createRuntime, stateOf(pid), 'createRuntime');
        },
      },
      createContainerHooks: hooks.createContainer ?? [],
      deferCgroupPlacement: !hooks.prestart?.length && !hooks.createRuntime?.length && !hooks.createContainer?.length,
      startContainerHooks: hooks.startContainer ?? [],
      stateJson: (pid: number) => JSON.stringify(stateOf(pid)),
    });
    undo.push(async () => {
      try {
        process.kill(handle.initPid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
    // The shim read both start times while the init waited (later, /proc/<pid>/stat of the
    // init contends with its execve for the mm lock).
    const [st, shimSt] = await Promise.all([
      handle.initStartTime > 0 ? { startTime: handle.initStartTime } : readProcStat(handle.initPid),
      handle.shimStartTime > 0 ? { startTime: handle.shimStartTime } : readProcStat(handle.shimPid),
    ]);
    record.initPid = handle.initPid;
    record.initStartTime = st?.startTime ?? 0;
    record.shimPid = handle.shimPid;
    if (shimSt) record.shimStartTime = shimSt.startTime;
    record.phase = 'created';
    await ctx.store.write(record);
    if (opts.fastPathPlan !== false) writeFastPathPlan(ctx.store, record, cgroup);
    if (opts.pidFile) await writeFile(opts.pidFile, String(handle.initPid));
    return { record, handle, cgroup };
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (cleanupErr) {
        ctx.logger.warn('cleanup after failed create failed', { containerId: id, err: causeText(cleanupErr) });
      }
    }
    // A config the shim message cannot express: name the container, as every create error does.
    if (err instanceof BerthError && err.code === 'invalid_process_config') {
      throw new ContainerError('bundle_invalid', `failed to create container ${id}: ${err.message}`, { containerId: id, cause: err });
    }
    if (err instanceof BerthError) throw err;
    throw new ContainerError('create_failed', `failed to create container ${id}: ${causeText(err)}`, {
      containerId: id,
      cause: err,
    });
  }
}
