import { causeText } from '../errors.js';
import type { ExitRecord } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateOptions } from './create.js';
import { removeContainer } from './delete.js';
import { runHooks } from './hooks.js';
import { ociState } from './status.js';

export interface RunOptions extends Omit<CreateOptions, 'detach' | 'noExecFifo' | 'fastPathPlan'> {
  /** Return once started (runc run -d); otherwise wait for the exit and delete. */
  detach?: boolean;
  /** Keep the container after it exits (runc run --keep). */
  keep?: boolean;
  /** Called once the container exists (its init can be signalled), before poststart hooks. */
  onCreated?: () => void;
}

/** Exit code the way shells report it: the status, or 128 + the signal (the shim records it so). */
export function exitCodeOf(rec: ExitRecord): number {
  return rec.exitCode;
}

/**
 * `run`: create + start. The init execs straight away (no FIFO round trip). In the foreground
 * the call resolves with the exit record after the container is deleted (unless `keep`);
 * detached, once the user process runs.
 */
export async function runContainer(ctx: RuntimeContext, opts: RunOptions): Promise<ExitRecord | undefined> {
  // Detached too: the init execs once created, so there is no FIFO to make, wait on and remove
  // (the same hooks run in the same order; a container without its FIFO reads as running).
  const { onCreated, ...create } = opts;
  const { record, handle, cgroup } = await createContainer(ctx, {
    ...create,
    detach: opts.detach ?? false,
    noExecFifo: true,
    fastPathPlan: opts.detach === true || opts.keep === true,
  });
  onCreated?.();
  try {
    await runHooks(record.spec.hooks?.poststart, ociState(record, 'running'), 'poststart');
  } catch (err) {
    ctx.logger.warn(causeText(err), { containerId: opts.id });
  }
  if (opts.detach) return undefined;
  // The shim has exited once wait() resolves, and the init with it (the shim outlives its
  // child): what is left to remove is known without reading anything back.
  const exit = await handle.wait();
  if (!opts.keep) await removeContainer(ctx, record, cgroup);
  return exit;
}
