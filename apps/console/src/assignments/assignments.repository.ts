import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { notFound } from '../common/errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { COMPACTED_KEY, lockAssignmentWrites, markAssignmentsCompacted } from './assignment-log.js';
import type { Assignment, AssignmentFilter, DesiredState, NewAssignment, StatusObservation } from './assignments.types.js';

const include = {
  workload: { select: { name: true } },
  workloadRevision: { select: { number: true } },
  node: { select: { name: true } },
  status: true,
} satisfies Prisma.AssignmentInclude;

type Row = Prisma.AssignmentGetPayload<{ include: typeof include }>;

function toAssignment(r: Row): Assignment {
  const s = r.status;
  return {
    id: r.id,
    workloadId: r.workloadId,
    workloadName: r.workload.name,
    workloadRevisionId: r.workloadRevisionId,
    workloadRevision: r.workloadRevision.number,
    nodeId: r.nodeId,
    nodeName: r.node.name,
    replicaIndex: r.replicaIndex,
    desiredState: r.desiredState as DesiredState,
    revision: Number(r.revision),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    status: s
      ? {
          containerId: s.containerId,
          state: s.state,
          exitCode: s.exitCode,
          restartCount: s.restartCount,
          reason: s.reason,
          message: s.message,
          ready: s.ready,
          imageDigest: s.imageDigest,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
          observedAt: s.observedAt,
          assignmentRevision: s.assignmentRevision === null ? null : Number(s.assignmentRevision),
        }
      : null,
  };
}

function where(f: AssignmentFilter): Prisma.AssignmentWhereInput {
  const w: Prisma.AssignmentWhereInput = {};
  if (f.nodeId !== undefined) w.nodeId = f.nodeId;
  if (f.workloadId !== undefined) w.workloadId = f.workloadId;
  if (f.desiredState !== undefined) w.desiredState = f.desiredState;
  if (f.state !== undefined) w.status = { is: { state: f.state } };
  return w;
}

/**
 * Assignments (replica -> node) and their observed status. Writes take the next global
 * revision through the database trigger, so `changedSince(node, r)` is what a Watch resumes
 * from. Removal is a state change (desiredState "removed"), never a silent delete, until
 * `purgeRemoved` collects rows the agent has confirmed.
 */
@Injectable()
export class AssignmentsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async listAfter(filter: AssignmentFilter, after: string | undefined, n: number): Promise<Assignment[]> {
    const rows = await this.db.prisma.assignment.findMany({
      where: { ...where(filter), ...(after === undefined ? {} : { id: { gt: after } }) },
      orderBy: { id: 'asc' },
      take: n,
      include,
    });
    return rows.map(toAssignment);
  }

  async get(id: string): Promise<Assignment | undefined> {
    const r = await this.db.prisma.assignment.findUnique({ where: { id }, include });
    return r ? toAssignment(r) : undefined;
  }

  /** Current (not removed) assignments of a node. */
  async forNode(nodeId: string): Promise<Assignment[]> {
    const rows = await this.db.prisma.assignment.findMany({ where: { nodeId, desiredState: { not: 'removed' } }, orderBy: { revision: 'asc' }, include });
    return rows.map(toAssignment);
  }

  /** Every assignment of the node changed after `since` (removed ones included), by revision. */
  async changedSince(nodeId: string, since: number): Promise<Assignment[]> {
    const rows = await this.db.prisma.assignment.findMany({ where: { nodeId, revision: { gt: BigInt(since) } }, orderBy: { revision: 'asc' }, include });
    return rows.map(toAssignment);
  }

  /**
   * Creates assignments in one transaction; workloadRevision numbers are resolved to rows.
   * Three statements whatever the count (a pass placing 1,000 replicas used to run 2,000 queries
   * and hit the interactive transaction's timeout); rows come back in input order.
   */
  async create(items: readonly NewAssignment[]): Promise<Assignment[]> {
    if (items.length === 0) return [];
    return this.db.prisma.$transaction(
      async (tx) => {
        await lockAssignmentWrites(tx);
        const wanted = new Map(items.map((a) => [`${a.workloadId}/${a.workloadRevision}`, { workloadId: a.workloadId, number: a.workloadRevision }]));
        const revs = await tx.workloadRevision.findMany({ where: { OR: [...wanted.values()] }, select: { id: true, workloadId: true, number: true } });
        const revId = new Map(revs.map((r) => [`${r.workloadId}/${r.number}`, r.id]));
        const data = items.map((a) => {
          const id = revId.get(`${a.workloadId}/${a.workloadRevision}`);
          if (!id) throw notFound('workload_revision', `${a.workloadId} revision ${a.workloadRevision}`);
          return { workloadId: a.workloadId, workloadRevisionId: id, nodeId: a.nodeId, replicaIndex: a.replicaIndex, desiredState: a.desiredState ?? 'running' };
        });
        const made = await tx.assignment.createManyAndReturn({ data, select: { id: true } });
        const rows = await tx.assignment.findMany({ where: { id: { in: made.map((m) => m.id) } }, include, orderBy: { revision: 'asc' } });
        return rows.map(toAssignment);
      },
      { timeout: 30_000 },
    );
  }

  /** Sets the desired state of several assignments; returns them with their new revisions. */
  async setDesiredState(ids: readonly string[], state: DesiredState): Promise<Assignment[]> {
    if (ids.length === 0) return [];
    return this.db.prisma.$transaction(async (tx) => {
      await lockAssignmentWrites(tx);
      await tx.assignment.updateMany({ where: { id: { in: [...ids] } }, data: { desiredState: state } });
      const rows = await tx.assignment.findMany({ where: { id: { in: [...ids] } }, include, orderBy: { revision: 'asc' } });
      return rows.map(toAssignment);
    });
  }

  /** Deletes removed assignments (after their agents confirmed). */
  async purgeRemoved(ids: readonly string[]): Promise<number> {
    return this.db.prisma.$transaction(async (tx) => {
      await lockAssignmentWrites(tx);
      const n = (await tx.assignment.deleteMany({ where: { id: { in: [...ids] }, desiredState: 'removed' } })).count;
      if (n) await markAssignmentsCompacted(tx);
      return n;
    });
  }

  /** Upserts observed container status; ignores assignments that no longer exist. */
  async recordStatus(obs: readonly StatusObservation[]): Promise<void> {
    if (obs.length === 0) return;
    const known = new Set(
      (await this.db.prisma.assignment.findMany({ where: { id: { in: obs.map((o) => o.assignmentId) } }, select: { id: true } })).map((r) => r.id),
    );
    await this.db.prisma.$transaction(
      obs
        .filter((o) => known.has(o.assignmentId))
        .map((o) => {
          const data = {
            nodeId: o.nodeId,
            containerId: o.containerId,
            state: o.state,
            exitCode: o.exitCode,
            restartCount: o.restartCount,
            reason: o.reason,
            message: o.message,
            ready: o.ready,
            imageDigest: o.imageDigest,
            startedAt: o.startedAt,
            finishedAt: o.finishedAt,
            observedAt: o.observedAt ?? new Date(),
            assignmentRevision: o.assignmentRevision === null ? null : BigInt(o.assignmentRevision),
          };
          return this.db.prisma.containerStatus.upsert({ where: { assignmentId: o.assignmentId }, create: { assignmentId: o.assignmentId, ...data }, update: data });
        }),
    );
  }

  /**
   * The revision readers are consistent at: the newest committed assignment change, or the
   * compaction mark if that is newer. Safe because assignment writes commit in revision order.
   */
  async consistentRevision(): Promise<{ revision: number; compactedThrough: number }> {
    const rows = await this.db.sql.query<{ r: string | null; c: string | null }>(
      `SELECT (SELECT max("revision")::text FROM "assignments") AS r, (SELECT "value"::text FROM "store_meta" WHERE "key" = $1) AS c`,
      [COMPACTED_KEY],
    );
    const r = Number(rows[0]?.r ?? 0);
    const c = Number(rows[0]?.c ?? 0);
    return { revision: Math.max(r, c), compactedThrough: c };
  }

  async currentStoreRevision(): Promise<number> {
    const rows = await this.db.sql.query<{ v: string }>(`SELECT last_value::text AS v FROM berth_revision_seq`);
    return Number(rows[0]?.v ?? 0);
  }
}
