import { signalNumber, signalProcess } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { liveStatus, requireStatus } from './status.js';

export interface KillOptions {
  /** Send to every process in the container's cgroup, not only the init. */
  all?: boolean;
}

/** Parse `9`, `KILL`, `SIGKILL` (any case) into a signal number. */
export function parseSignal(s: string | number): number {
  return signalNumber(s);
}

/** OCI `kill`: a created, running or paused container; a stopped one is an error. */
export async function killContainer(ctx: RuntimeContext, id: string, signal: string | number, opts: KillOptions = {}): Promise<void> {
  const sig = parseSignal(signal);
  const rec = await ctx.store.read(id);
  const status = await liveStatus(ctx, rec);
  requireStatus(rec, status, ['created', 'running', 'paused'], 'kill');
  if (opts.all) {
    const cg = ctx.openCgroup(id, rec.cgroupsPath ?? undefined);
    await cg.kill(sig);
    return;
  }
  await signalProcess(rec.initPid, sig);
}
