import { Inject, Injectable } from '@nestjs/common';
import type { AssignmentChange, AssignmentStore, AssignmentView, DesiredState } from '../agents/ports.js';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { DatabaseService } from '../database/database.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { WorkloadSpec } from '../workloads/workloads.types.js';
import { toContainerSpec } from './container-spec.js';

const include = {
  workload: { select: { name: true } },
  workloadRevision: { select: { number: true, spec: true } },
} satisfies Prisma.AssignmentInclude;
type Row = Prisma.AssignmentGetPayload<{ include: typeof include }>;

function toView(r: Row): AssignmentView {
  return {
    id: r.id,
    workloadId: r.workloadId,
    workloadName: r.workload.name,
    replicaIndex: r.replicaIndex,
    revision: Number(r.revision),
    workloadRevision: r.workloadRevision.number,
    desiredState: r.desiredState as DesiredState,
    spec: toContainerSpec(r.workloadRevision.spec as unknown as WorkloadSpec),
  };
}

/**
 * The agents module's AssignmentStore. History is the assignments table itself: every change
 * takes a new global revision and removal is the state "removed", so `revision > since` is
 * the change list. Hard deletes raise a compaction mark (assignment-log.ts); resuming from
 * below it returns 'compacted' and the caller sends a snapshot.
 */
@Injectable()
export class PrismaAssignmentStore implements AssignmentStore {
  constructor(
    @Inject(DatabaseService) private readonly db: DatabaseService,
    @Inject(AssignmentsRepository) private readonly repo: Pick<AssignmentsRepository, 'consistentRevision'>,
  ) {}

  async snapshot(nodeId: string): Promise<{ revision: number; assignments: AssignmentView[] }> {
    const { revision } = await this.repo.consistentRevision();
    const rows = await this.db.prisma.assignment.findMany({ where: { nodeId, desiredState: { not: 'removed' } }, orderBy: { revision: 'asc' }, include });
    return { revision, assignments: rows.map(toView) };
  }

  async changesSince(nodeId: string, since: number): Promise<{ revision: number; changes: AssignmentChange[] } | 'compacted'> {
    const { revision, compactedThrough } = await this.repo.consistentRevision();
    if (since < compactedThrough) return 'compacted';
    const rows = await this.db.prisma.assignment.findMany({
      where: { nodeId, revision: { gt: BigInt(since), lte: BigInt(revision) } },
      orderBy: { revision: 'asc' },
      include,
    });
    const changes: AssignmentChange[] = rows.map((r) =>
      r.desiredState === 'removed' ? { kind: 'delete', assignmentId: r.id, revision: Number(r.revision) } : { kind: 'upsert', assignment: toView(r) },
    );
    return { revision, changes };
  }
}
