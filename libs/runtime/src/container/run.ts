import { causeText } from '../errors.js';
import type { ExitRecord } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { runHooks } from './hooks.js';
import { startContainer } from './start.js';
import { ociState } from './status.js';

export interface RunOptions extends Omit<CreateOptions, 'detach' | 'noExecFifo'> {
  /** Return once started (runc run -d); otherwise wait for the exit and delete. */
  detach?: boolean;
  /** Keep the container after it exits (runc run --keep). */
  keep?: boolean;
}

/** Exit code the way shells report it: the status, or 128 + the signal (the shim records it so). */
export function exitCodeOf(rec: ExitRecord): number {
  return rec.exitCode;
}

/**
 * `run`: create + start. In the foreground the init execs straight away (no FIFO round trip);
 * the call resolves with the exit record after the container is deleted (unless `keep`).
 */
export async function runContainer(ctx: RuntimeContext, opts: RunOptions): Promise<ExitRecord | undefined> {
  if (opts.detach) {
    await createContainer(ctx, { ...opts, detach: true });
    try {
      await startContainer(ctx, opts.id);
    } catch (err) {
      await deleteContainer(ctx, opts.id, { force: true }).catch(() => undefined);
      throw err;
    }
    return undefined;
  }
  const { record, handle } = await createContainer(ctx, { ...opts, detach: false, noExecFifo: true });
  try {
    await runHooks(record.spec.hooks?.poststart, ociState(record, 'running'), 'poststart');
  } catch (err) {
    ctx.logger.warn(causeText(err), { containerId: opts.id });
  }
  const exit = await handle.wait();
  if (!opts.keep) await deleteContainer(ctx, opts.id, { force: true });
  return exit;
}
