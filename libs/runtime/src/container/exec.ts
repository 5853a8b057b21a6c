import { join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import type { Process } from '../spec/types.js';
import { compileSeccomp } from '../process/seccomp/index.js';
import { execInContainer, type ExecHandle } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { liveStatus, requireStatus } from './status.js';

let execSeq = 0;

export interface ExecOptions {
  /** The process to run; fields missing here come from the container's own process. */
  process: Partial<Process> & { args: string[] };
  consoleSocket?: string;
  pidFile?: string;
  detach?: boolean;
}

/**
 * Run an extra process in a running container: it joins every namespace and the cgroup of the
 * container's init and gets the container's capabilities, seccomp filter and rlimits unless
 * the given process overrides them.
 */
export async function execContainer(ctx: RuntimeContext, id: string, opts: ExecOptions): Promise<ExecHandle> {
  const rec = await ctx.store.read(id);
  requireStatus(rec, await liveStatus(ctx, rec), ['running'], 'exec in');
  const base = rec.spec.process;
  const proc: Process = {
    ...(base ?? { user: { uid: 0, gid: 0 }, cwd: '/' }),
    ...opts.process,
    user: opts.process.user ?? base?.user ?? { uid: 0, gid: 0 },
    cwd: opts.process.cwd ?? base?.cwd ?? '/',
    env: opts.process.env ?? base?.env ?? [],
  };
  const seccomp = rec.spec.linux?.seccomp ? compileSeccomp(rec.spec.linux.seccomp) : undefined;
  // Unique among this container's execs: the pid is unique among live callers and the counter
  // and clock within one. No node:crypto: loading it costs berth-runtime ~14 ms per start.
  const tag = `${process.pid.toString(36)}-${process.hrtime.bigint().toString(36)}-${(execSeq++).toString(36)}`;
  const exitFile = join(ctx.store.dir(id), `exec-${tag}.exit`);
  const handle = await execInContainer({
    shimPath: ctx.shimPath,
    containerId: id,
    initPid: rec.initPid,
    process: proc,
    namespaces: (rec.spec.linux?.namespaces ?? []).map((n) => n.type),
    cgroupProcsFiles: ctx.openCgroup(id, rec.cgroupsPath ?? undefined).procsFiles(),
    ...(seccomp ? { seccomp } : {}),
    ...(opts.consoleSocket ? { consoleSocket: opts.consoleSocket } : {}),
    detach: opts.detach ?? false,
    exitFile,
    ...(ctx.shimSpawner ? { spawner: ctx.shimSpawner } : {}),
  });
  if (opts.pidFile) await writeFile(opts.pidFile, String(handle.pid));
  if (!opts.detach) {
    const wait = handle.wait.bind(handle);
    handle.wait = async () => {
      try {
        return await wait();
      } finally {
        await rm(exitFile, { force: true });
      }
    };
  }
  return handle;
}
