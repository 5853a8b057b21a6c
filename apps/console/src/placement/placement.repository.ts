import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Resources, RollingUpdate, SchedulerAssignment, SchedulerNode, SchedulerWorkload } from '../scheduler/index.js';
import type { WorkloadSpec } from '../workloads/workloads.types.js';

export interface FleetState {
  workloads: SchedulerWorkload[];
  nodes: SchedulerNode[];
  assignments: SchedulerAssignment[];
}

function requestsOf(spec: WorkloadSpec): Resources {
  const r = spec.resources?.requests ?? {};
  return { cpuMillis: r.cpu ?? 0, memoryBytes: r.memory ?? 0, pids: r.pids ?? 0 };
}

/** Node resources as agents report them ({cpuMillis, memoryBytes, pids}). */
function nodeResources(v: unknown): Resources {
  const o = (v ?? {}) as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return { cpuMillis: num(o['cpuMillis']), memoryBytes: num(o['memoryBytes']), pids: num(o['pids']) };
}

/** Reads the whole fleet in the scheduler's terms (plain data, no Prisma types leave here). */
@Injectable()
export class PlacementRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async load(): Promise<FleetState> {
    const p = this.db.prisma;
    const [workloads, nodes, assignments] = await Promise.all([
      p.workload.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, replicas: true, currentRevision: true, spec: true } }),
      // Only what the scheduler reads: a pass reads every node, and usage, capacity and
      // addresses are most of a row.
      p.node.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, labels: true, status: true, revokedAt: true, unschedulable: true, draining: true, allocatable: true } }),
      p.assignment.findMany({
        where: { desiredState: { not: 'removed' } },
        select: { id: true, workloadId: true, nodeId: true, replicaIndex: true, workloadRevisionId: true, status: { select: { state: true, ready: true } } },
      }),
    ]);
    // A workload revision's spec is read once per pass, not once per replica.
    const revIds = [...new Set(assignments.map((a) => a.workloadRevisionId))];
    const revs = revIds.length ? await p.workloadRevision.findMany({ where: { id: { in: revIds } }, select: { id: true, number: true, spec: true } }) : [];
    const byRev = new Map(revs.map((r) => [r.id, { number: r.number, requests: requestsOf(r.spec as unknown as WorkloadSpec) }]));
    const revisionOf = (id: string): { number: number; requests: Resources } => {
      const r = byRev.get(id);
      if (!r) throw new Error(`failed to load fleet: workload revision ${id} of an assignment is missing`);
      return r;
    };
    return {
      workloads: workloads.map((w) => {
        const spec = w.spec as unknown as WorkloadSpec;
        return {
          id: w.id,
          name: w.name,
          replicas: w.replicas,
          revision: w.currentRevision,
          requests: requestsOf(spec),
          nodeSelector: spec.nodeSelector ?? {},
          strategy: { maxUnavailable: spec.updateStrategy?.maxUnavailable ?? 0, maxSurge: spec.updateStrategy?.maxSurge ?? 1 } as RollingUpdate,
          rescheduleOnNodeFailure: spec.rescheduleOnNodeFailure ?? true,
        };
      }),
      nodes: nodes.map((n) => ({
        id: n.id,
        name: n.name,
        labels: n.labels as Record<string, string>,
        ready: n.status === 'Ready' && n.revokedAt === null,
        schedulable: !n.unschedulable && !n.draining && n.revokedAt === null,
        allocatable: nodeResources(n.allocatable),
      })),
      assignments: assignments.map((a) => {
        const rev = revisionOf(a.workloadRevisionId);
        return {
          id: a.id,
          workloadId: a.workloadId,
          nodeId: a.nodeId,
          replicaIndex: a.replicaIndex,
          revision: rev.number,
          requests: rev.requests,
          ready: a.status?.state === 'running' && a.status.ready,
        };
      }),
    };
  }
}
