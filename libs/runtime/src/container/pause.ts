import type { RuntimeContext } from './context.js';
import { liveStatus, requireStatus } from './status.js';

/** OCI-ish `pause` (runc): freeze every process of a running container. */
export async function pauseContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = await ctx.store.read(id);
  requireStatus(rec, await liveStatus(ctx, rec), ['running'], 'pause');
  await ctx.openCgroup(id, rec.cgroupsPath ?? undefined).freeze();
}

/** `resume`: thaw a paused container. */
export async function resumeContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const rec = await ctx.store.read(id);
  requireStatus(rec, await liveStatus(ctx, rec), ['paused'], 'resume');
  await ctx.openCgroup(id, rec.cgroupsPath ?? undefined).thaw();
}
