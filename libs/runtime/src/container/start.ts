import { constants, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { causeText } from '../errors.js';
import type { RuntimeContext } from './context.js';
import { ContainerError } from './errors.js';
import { runHooks } from './hooks.js';
import { isAlive } from './proc.js';
import { liveStatus, ociState, requireStatus } from './status.js';
import type { ContainerRecord } from './state-store.js';

/**
 * Opens the exec FIFO for reading, which lets the init's blocked open(O_WRONLY) return; the
 * init then writes one byte and execs. The read end is watched on the event loop (libuv sees a
 * FIFO as a pipe), so the byte is noticed at once; a timer checks that the init is still alive,
 * so a dead init cannot hang `start`. Before any writer has opened the FIFO, Linux reports
 * neither data nor hang-up on it.
 */
async function releaseInit(rec: ContainerRecord): Promise<void> {
  const fd = openSync(rec.execFifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const failed = () =>
    new ContainerError('invalid_state', `failed to start container ${rec.id}: init process ${rec.initPid} exited before start`, {
      containerId: rec.id,
      pid: rec.initPid,
    });
  await new Promise<void>((resolve, reject) => {
    const fifo = new Socket({ fd, readable: true, writable: false });
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      fifo.destroy();
      if (err) reject(err);
      else resolve();
    };
    fifo.once('data', () => finish());
    // a writer that closed without writing: the init failed on its way to exec
    fifo.once('end', () => finish(failed()));
    fifo.once('error', (err) => finish(err));
    const timer = setInterval(() => {
      void isAlive(rec.initPid, rec.initStartTime).then((alive) => {
        if (alive || settled) return;
        // A short program can write its byte, exec and exit before this check: then the byte
        // is still in the FIFO.
        let byte = 0;
        try {
          byte = readSync(fd, Buffer.alloc(1), 0, 1, null);
        } catch {
          /* EAGAIN: nothing was written */
        }
        finish(byte > 0 ? undefined : failed());
      });
    }, 20);
  });
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
