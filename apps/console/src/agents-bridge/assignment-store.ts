import { Inject, Injectable } from '@nestjs/common';
import type { ContainerSpec } from '@berth/proto';
import type { AssignmentChange, AssignmentStore, AssignmentView, DesiredState } from '../agents/ports.js';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { DatabaseService } from '../database/database.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { WorkloadSpec } from '../workloads/workloads.types.js';
import { toContainerSpec } from './container-spec.js';
import { Batcher } from '../common/batcher.js';

const include = {
  workload: { select: { name: true } },
  workloadRevision: { select: { number: true, spec: true } },
} satisfies Prisma.AssignmentInclude;
type Row = Prisma.AssignmentGetPayload<{ include: typeof include }>;

/** Row -> view; the container spec is converted once per workload revision of a batch. */
function viewer(): (r: Row) => AssignmentView {
  const specs = new Map<string, ContainerSpec>();
  return (r) => {
    let spec = specs.get(r.workloadRevisionId);
    if (!spec) {
      spec = toContainerSpec(r.workloadRevision.spec as unknown as WorkloadSpec);
      specs.set(r.workloadRevisionId, spec);
    }
    return {
      id: r.id,
      workloadId: r.workloadId,
      workloadName: r.workload.name,
      replicaIndex: r.replicaIndex,
      revision: Number(r.revision),
      workloadRevision: r.workloadRevision.number,
      desiredState: r.desiredState as DesiredState,
      spec,
    };
  };
}

type Snapshot = { revision: number; assignments: AssignmentView[] };
type Changes = { revision: number; changes: AssignmentChange[] } | 'compacted';

/**
 * The agents module's AssignmentStore. History is the assignments table itself: every change
 * takes a new global revision and removal is the state "removed", so `revision > since` is
 * the change list. Hard deletes raise a compaction mark (assignment-log.ts); resuming from
 * below it returns 'compacted' and the caller sends a snapshot.
 */
@Injectable()
export class PrismaAssignmentStore implements AssignmentStore {
  // A change of 1,000 assignments wakes ~1,000 watches at once, and 2,000 agents connecting
  // ask for 2,000 snapshots: each batch is one revision read and one query for all its nodes.
  private readonly snapshots = new Batcher<string, Snapshot>((nodeIds) => this.snapshotMany(nodeIds), { maxBatch: 500 });
  private readonly changes = new Batcher<{ nodeId: string; since: number }, Changes>((reqs) => this.changesMany(reqs), { maxBatch: 500 });

  constructor(
    @Inject(DatabaseService) private readonly db: DatabaseService,
    @Inject(AssignmentsRepository) private readonly repo: Pick<AssignmentsRepository, 'consistentRevision'>,
  ) {}

  snapshot(nodeId: string): Promise<Snapshot> {
    return this.snapshots.submit(nodeId);
  }

  changesSince(nodeId: string, since: number): Promise<Changes> {
    return this.changes.submit({ nodeId, since });
  }

  private async snapshotMany(nodeIds: string[]): Promise<Snapshot[]> {
    const { revision } = await this.repo.consistentRevision();
    const rows = await this.db.prisma.assignment.findMany({
      where: { nodeId: { in: [...new Set(nodeIds)] }, desiredState: { not: 'removed' }, revision: { lte: BigInt(revision) } },
      orderBy: { revision: 'asc' },
      include,
    });
    const toView = viewer();
    const byNode = groupByNode(rows);
    return nodeIds.map((id) => ({ revision, assignments: (byNode.get(id) ?? []).map(toView) }));
  }

  private async changesMany(reqs: { nodeId: string; since: number }[]): Promise<Changes[]> {
    const { revision, compactedThrough } = await this.repo.consistentRevision();
    const live = reqs.filter((r) => r.since >= compactedThrough && r.since < revision);
    let byNode = new Map<string, Row[]>();
    if (live.length > 0) {
      const rows = await this.db.prisma.assignment.findMany({
        where: { nodeId: { in: [...new Set(live.map((r) => r.nodeId))] }, revision: { gt: BigInt(Math.min(...live.map((r) => r.since))), lte: BigInt(revision) } },
        orderBy: { revision: 'asc' },
        include,
      });
      byNode = groupByNode(rows);
    }
    const toView = viewer();
    return reqs.map((r) => {
      if (r.since < compactedThrough) return 'compacted';
      const changes: AssignmentChange[] = (byNode.get(r.nodeId) ?? [])
        .filter((row) => Number(row.revision) > r.since)
        .map((row) => (row.desiredState === 'removed' ? { kind: 'delete', assignmentId: row.id, revision: Number(row.revision) } : { kind: 'upsert', assignment: toView(row) }));
      return { revision: Math.max(revision, r.since), changes };
    });
  }
}

function groupByNode(rows: Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const list = m.get(r.nodeId);
    if (list) list.push(r);
    else m.set(r.nodeId, [r]);
  }
  return m;
}
