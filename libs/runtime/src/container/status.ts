import { access } from 'node:fs/promises';
import type { ContainerStatus, State } from '../spec/types.js';
import type { RuntimeContext } from './context.js';
import { ContainerError } from './errors.js';
import { isAlive } from './proc.js';
import type { ContainerRecord } from './state-store.js';

/**
 * The live status of a container, derived like runc does: from the init process (alive and the
 * same start time), the exec FIFO (still there = created, not started), and the freezer.
 */
export async function liveStatus(ctx: RuntimeContext, rec: ContainerRecord): Promise<ContainerStatus> {
  const alive = await isAlive(rec.initPid, rec.initStartTime);
  if (!alive) return 'stopped';
  if (rec.phase === 'creating') return 'creating';
  try {
    await access(rec.execFifo);
    return 'created';
  } catch {
    /* started */
  }
  try {
    const frozen = await ctx.openCgroup(rec.id, rec.cgroupsPath ?? undefined).freezerState();
    if (frozen === 'frozen') return 'paused';
  } catch (err) {
    ctx.logger.debug('freezer state unreadable', { containerId: rec.id, err: String(err) });
  }
  return 'running';
}

export function ociState(rec: ContainerRecord, status: ContainerStatus): State {
  const st: State = { ociVersion: '1.2.0', id: rec.id, status, bundle: rec.bundle };
  if (status !== 'stopped') st.pid = rec.initPid;
  if (Object.keys(rec.annotations).length > 0) st.annotations = rec.annotations;
  return st;
}

/** Throws `invalid_state` unless the container is in one of `allowed`. */
export function requireStatus(
  rec: ContainerRecord,
  status: ContainerStatus,
  allowed: ContainerStatus[],
  verb: string,
): void {
  if (allowed.includes(status)) return;
  const code = status === 'stopped' && verb !== 'delete' ? 'container_not_running' : 'invalid_state';
  throw new ContainerError(
    code,
    `failed to ${verb} container ${rec.id}: container is ${status}, must be ${allowed.join(' or ')}`,
    { containerId: rec.id },
  );
}

/**
 * Whether the container has a pid namespace of its own: then the kernel ends every process in
 * it when its init dies, and killing the init kills the container (as runc does).
 */
export function ownsPidNamespace(rec: ContainerRecord): boolean {
  return (rec.spec.linux?.namespaces ?? []).some((ns) => ns.type === 'pid' && !ns.path);
}
