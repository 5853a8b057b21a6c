import { expectPositionals, parseDuration, str } from '../args.js';
import { CliError } from '../errors.js';
import type { Assignment, Workload } from '../types.js';
import { apiClient, seg, type Command } from './context.js';

export interface RolloutProgress {
  desired: number;
  /** Replicas meant to run the current workload revision. */
  updated: number;
  /** Of those, the ones the agent reports running (and ready, when a readiness probe is set). */
  ready: number;
  /** Replicas still meant to run an older revision. */
  old: number;
  done: boolean;
}

/** Observed vs desired for one workload, from its assignments (pure; see rollout.spec.ts). */
export function rolloutProgress(w: Workload, assignments: readonly Assignment[]): RolloutProgress {
  const running = assignments.filter((a) => a.workloadName === w.name && a.desiredState === 'running');
  const updated = running.filter((a) => a.workloadRevision === w.currentRevision);
  const needsReady = w.spec.readinessProbe !== undefined && w.spec.readinessProbe !== null;
  const ready = updated.filter((a) => a.status?.state === 'running' && (!needsReady || a.status.ready)).length;
  const old = running.length - updated.length;
  return { desired: w.replicas, updated: updated.length, ready, old, done: ready === w.replicas && updated.length === w.replicas && old === 0 };
}

export function progressLine(name: string, revision: number, p: RolloutProgress): string {
  const oldPart = p.old > 0 ? `, ${p.old} old replica${p.old === 1 ? '' : 's'} pending termination` : '';
  return `Waiting for rollout of workload/${name} (revision ${revision}): ${p.ready} of ${p.desired} replicas ready, ${p.updated} up-to-date${oldPart}`;
}

const status: Command = {
  path: ['workloads', 'rollout', 'status'],
  usage: 'NAME [--timeout 5m]',
  summary: 'wait until the replicas running the current revision are all ready',
  flags: { timeout: { type: 'string' }, interval: { type: 'string' } },
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'workloads rollout status');
    const timeoutMs = parseDuration('timeout', str(args, 'timeout') ?? '5m');
    const intervalMs = Math.max(50, parseDuration('interval', str(args, 'interval') ?? '1s'));
    const client = await apiClient(ctx);
    const deadline = ctx.now() + timeoutMs;
    let last = '';
    for (;;) {
      const w = await client.get<Workload>(`/api/v1/workloads/${seg(name!)}`);
      const assignments = await client.listAll<Assignment>('/api/v1/assignments', { workload: name });
      const p = rolloutProgress(w, assignments);
      if (p.done) {
        ctx.io.stdout(`workload/${w.name} successfully rolled out (revision ${w.currentRevision}, ${p.ready}/${p.desired} ready)\n`);
        return;
      }
      const line = progressLine(w.name, w.currentRevision, p);
      if (line !== last) ctx.io.stdout(`${line}\n`);
      last = line;
      if (ctx.now() >= deadline) {
        throw new CliError(`failed to wait for rollout of workload ${JSON.stringify(w.name)}: timed out after ${str(args, 'timeout') ?? '5m'} with ${p.ready} of ${p.desired} replicas ready`);
      }
      await ctx.sleep(Math.min(intervalMs, Math.max(0, deadline - ctx.now())));
    }
  },
};

export const rolloutCommands: Command[] = [status];
