import { causeText } from '../errors.js';
import type { CgroupManager } from '../cgroups/types.js';
import type { RuntimeContext } from './context.js';
import { runHooks } from './hooks.js';
import { waitGone } from './proc.js';
import { liveStatus, ociState, ownsPidNamespace, requireStatus } from './status.js';
import type { ContainerRecord } from './state-store.js';

export interface DeleteOptions {
  /** Kill (SIGKILL, every process of the cgroup) a container that is not stopped. */
  force?: boolean;
}

/**
 * OCI `delete`: remove a stopped container (or, with force, kill it first), run poststop hooks,
 * and remove everything create made: the cgroup, the state directory (exec FIFO, exit record).
 * Mounts live in the container's mount namespace and go with its last process.
 */
export async function deleteContainer(ctx: RuntimeContext, id: string, opts: DeleteOptions = {}): Promise<void> {
  const rec = await ctx.store.read(id);
  const status = await liveStatus(ctx, rec);
  if (!opts.force) requireStatus(rec, status, ['stopped'], 'delete');
  const cg = ctx.openCgroup(id, rec.cgroupsPath ?? undefined);
  if (status !== 'stopped') {
    if (status === 'paused') await cg.thaw().catch(() => undefined);
    // Without a pid namespace of its own, every process of the cgroup gets the signal.
    if (!ownsPidNamespace(rec)) await cg.kill('SIGKILL').catch((err) => ctx.logger.debug('cgroup kill failed', { err: causeText(err) }));
    try {
      process.kill(rec.initPid, 'SIGKILL');
    } catch {
      /* gone already */
    }
    await waitGone(rec.initPid, rec.initStartTime, 10_000);
  }
  // The shim writes the exit record after the init is gone: let it finish before the state
  // directory is removed (else the removal races with that write and fails with ENOTEMPTY).
  if (rec.shimStartTime !== undefined) await waitGone(rec.shimPid, rec.shimStartTime, 10_000);
  await removeContainer(ctx, rec, cg);
}

/**
 * The end of every delete, once the init and the shim are gone: the cgroup, the poststop hooks
 * (for a container whose create finished), the state directory. A foreground `run` calls it
 * directly: it waited for the shim itself and still holds the record and the cgroup.
 */
export async function removeContainer(ctx: RuntimeContext, rec: ContainerRecord, cg: CgroupManager): Promise<void> {
  const id = rec.id;
  try {
    await cg.destroy();
  } catch (err) {
    ctx.logger.warn('failed to remove cgroup', { containerId: id, err: causeText(err) });
  }
  if (rec.phase === 'created') {
    try {
      await runHooks(rec.spec.hooks?.poststop, ociState(rec, 'stopped'), 'poststop');
    } catch (err) {
      ctx.logger.warn(causeText(err), { containerId: id });
    }
  }
  await ctx.store.remove(id);
}
