import { closeSync, constants, openSync, readSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { causeText, errnoCode } from '../errors.js';
import type { RuntimeContext } from './context.js';
import { ContainerError } from './errors.js';
import { runHooks } from './hooks.js';
import { isAlive } from './proc.js';
import { liveStatus, ociState, requireStatus } from './status.js';
import type { ContainerRecord } from './state-store.js';

/**
 * Opens the exec FIFO for reading, which lets the init's blocked open(O_WRONLY) return; the
 * init then writes one byte and execs. Non-blocking so a dead init cannot hang `start`.
 */
async function releaseInit(rec: ContainerRecord): Promise<void> {
  const fd = openSync(rec.execFifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(1);
  const readByte = (): boolean => {
    try {
      return readSync(fd, buf, 0, 1, null) > 0;
    } catch (err) {
      if (errnoCode(err) !== 'EAGAIN') throw err;
      return false;
    }
  };
  try {
    let delay = 1;
    for (;;) {
      if (readByte()) return;
      // A short program can write its byte, exec and exit between the read and this check:
      // only a dead init with nothing in the FIFO failed to start.
      if (!(await isAlive(rec.initPid, rec.initStartTime))) {
        if (readByte()) return;
        throw new ContainerError('invalid_state', `failed to start container ${rec.id}: init process ${rec.initPid} exited before start`, {
          containerId: rec.id,
          pid: rec.initPid,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 20);
    }
  } finally {
    closeSync(fd);
  }
}

/** OCI `start`: run the user process of a created container, then the poststart hooks. */
export async function startContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = await ctx.store.read(id);
  const status = await liveStatus(ctx, rec);
  requireStatus(rec, status, ['created'], 'start');
  await releaseInit(rec);
  await unlink(rec.execFifo).catch(() => undefined);
  try {
    await runHooks(rec.spec.hooks?.poststart, ociState(rec, 'running'), 'poststart');
  } catch (err) {
    // Spec: a failing poststart hook is logged; the container keeps running.
    ctx.logger.warn(causeText(err), { containerId: id });
  }
}
