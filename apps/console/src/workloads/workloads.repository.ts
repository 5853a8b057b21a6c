import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Prisma, Workload as Row, WorkloadRevision as RevRow } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { alreadyExists } from '../common/errors.js';
import { lockAssignmentWrites, markAssignmentsCompacted } from '../assignments/assignment-log.js';
import type { NewWorkload, Workload, WorkloadChange, WorkloadRevision, WorkloadSpec } from './workloads.types.js';

function toWorkload(r: Row): Workload {
  return {
    id: r.id,
    name: r.name,
    labels: r.labels as Record<string, string>,
    replicas: r.replicas,
    spec: r.spec as unknown as WorkloadSpec,
    currentRevision: r.currentRevision,
    revision: Number(r.revision),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toRevision(r: RevRow): WorkloadRevision {
  return { id: r.id, workloadId: r.workloadId, number: r.number, spec: r.spec as unknown as WorkloadSpec, createdBy: r.createdBy, revision: Number(r.revision), createdAt: r.createdAt };
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

/** Assignment rows a workload deletion removed: agents must hear about them. */
export interface RemovedAssignment {
  id: string;
  nodeId: string;
}

@Injectable()
export class WorkloadsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  /** Creates the workload and its revision 1 in one transaction. */
  async create(w: NewWorkload, createdBy: string): Promise<Workload> {
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const row = await tx.workload.create({ data: { name: w.name, labels: w.labels, replicas: w.replicas, spec: json(w.spec), currentRevision: 1 } });
        await tx.workloadRevision.create({ data: { workloadId: row.id, number: 1, spec: json(w.spec), createdBy } });
        return toWorkload(row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('workload', w.name, err);
      throw err;
    }
  }

  async findByName(name: string): Promise<Workload | undefined> {
    const r = await this.db.prisma.workload.findUnique({ where: { name } });
    return r ? toWorkload(r) : undefined;
  }

  async findById(id: string): Promise<Workload | undefined> {
    const r = await this.db.prisma.workload.findUnique({ where: { id } });
    return r ? toWorkload(r) : undefined;
  }

  /** Up to n workloads with name > after, by name. */
  async listAfter(after: string | undefined, n: number): Promise<Workload[]> {
    const rows = await this.db.prisma.workload.findMany({ where: after === undefined ? {} : { name: { gt: after } }, orderBy: { name: 'asc' }, take: n });
    return rows.map(toWorkload);
  }

  /**
   * Applies `change` only if the row is still at `revision`; a changed spec becomes
   * WorkloadRevision currentRevision+1 in the same transaction. Undefined when stale.
   */
  async update(name: string, revision: number, change: WorkloadChange, createdBy: string): Promise<Workload | undefined> {
    return this.db.prisma
      .$transaction(async (tx) => {
        const cur = await tx.workload.findUnique({ where: { name } });
        if (!cur || Number(cur.revision) !== revision) return undefined;
        const data: Prisma.WorkloadUpdateManyMutationInput = {};
        if (change.labels !== undefined) data.labels = change.labels;
        if (change.replicas !== undefined) data.replicas = change.replicas;
        const number = cur.currentRevision + 1;
        if (change.spec !== undefined) {
          data.spec = json(change.spec);
          data.currentRevision = number;
        }
        // The conditional UPDATE comes first: it takes the row lock, so a concurrent writer
        // blocks here and then matches nothing (its revision is gone) instead of racing on.
        const n = await tx.workload.updateMany({ where: { id: cur.id, revision: BigInt(revision) }, data });
        if (n.count === 0) throw new StaleWrite();
        if (change.spec !== undefined) await tx.workloadRevision.create({ data: { workloadId: cur.id, number, spec: json(change.spec), createdBy } });
        return toWorkload(await tx.workload.findUniqueOrThrow({ where: { id: cur.id } }));
      })
      .catch((err: unknown) => {
        if (err instanceof StaleWrite || isUniqueViolation(err)) return undefined;
        throw err;
      });
  }

  async listRevisions(workloadId: string): Promise<WorkloadRevision[]> {
    const rows = await this.db.prisma.workloadRevision.findMany({ where: { workloadId }, orderBy: { number: 'desc' } });
    return rows.map(toRevision);
  }

  async getRevision(workloadId: string, number: number): Promise<WorkloadRevision | undefined> {
    const r = await this.db.prisma.workloadRevision.findUnique({ where: { workloadId_number: { workloadId, number } } });
    return r ? toRevision(r) : undefined;
  }

  /** Deletes the workload (revisions and assignments cascade); returns the assignments removed. */
  async delete(name: string): Promise<{ workload: Workload; removed: RemovedAssignment[] } | undefined> {
    return this.db.prisma.$transaction(async (tx) => {
      const cur = await tx.workload.findUnique({ where: { name } });
      if (!cur) return undefined;
      await lockAssignmentWrites(tx);
      const removed = await tx.assignment.findMany({ where: { workloadId: cur.id }, select: { id: true, nodeId: true } });
      await tx.workload.delete({ where: { id: cur.id } });
      if (removed.length) await markAssignmentsCompacted(tx);
      return { workload: toWorkload(cur), removed };
    });
  }

  /** The largest revision the global sequence has handed out (for events after deletes). */
  async currentStoreRevision(): Promise<number> {
    const rows = await this.db.sql.query<{ v: string }>(`SELECT last_value::text AS v FROM berth_revision_seq`);
    return Number(rows[0]?.v ?? 0);
  }
}

/** Thrown inside a transaction to roll it back when the conditional update matched nothing. */
class StaleWrite extends Error {}
