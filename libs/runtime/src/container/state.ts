import type { ContainerStatus } from '../spec/types.js';
import type { CgroupStats } from '../cgroups/types.js';
import type { RuntimeContext } from './context.js';
import { liveStatus, requireStatus } from './status.js';

/** What `state` prints: the OCI state plus runc's extra fields (rootfs, created, owner). */
export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export async function containerState(ctx: RuntimeContext, id: string): Promise<ContainerState> {
  const rec = await ctx.store.read(id);
  const status = await liveStatus(ctx, rec);
  const st: ContainerState = {
    ociVersion: '1.2.0',
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.initPid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.createdAt,
    owner: rec.owner,
  };
  if (Object.keys(rec.annotations).length) st.annotations = rec.annotations;
  return st;
}

/** Every container under the root, with its live state; unreadable ones are skipped. */
export async function listContainers(ctx: RuntimeContext): Promise<ContainerState[]> {
  const out: ContainerState[] = [];
  for (const id of await ctx.store.list()) {
    try {
      out.push(await containerState(ctx, id));
    } catch (err) {
      ctx.logger.debug('skipping unreadable container', { containerId: id, err: String(err) });
    }
  }
  return out;
}

/** Pids of every process in the container (its cgroup). */
export async function containerPids(ctx: RuntimeContext, id: string): Promise<number[]> {
  const rec = await ctx.store.read(id);
  requireStatus(rec, await liveStatus(ctx, rec), ['created', 'running', 'paused'], 'list processes of');
  return (await ctx.openCgroup(id, rec.cgroupsPath ?? undefined).pids()).sort((a, b) => a - b);
}

/** One `events --stats` sample, shaped like runc's `{type:"stats", id, data}`. */
export async function containerStats(ctx: RuntimeContext, id: string): Promise<{ type: 'stats'; id: string; data: CgroupStats }> {
  const rec = await ctx.store.read(id);
  requireStatus(rec, await liveStatus(ctx, rec), ['created', 'running', 'paused'], 'read stats of');
  return { type: 'stats', id, data: await ctx.openCgroup(id, rec.cgroupsPath ?? undefined).stats() };
}
