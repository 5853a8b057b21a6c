import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { notFound } from '../common/errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { COMPACTED_KEY, lockAssignmentWrites, markAssignmentsCompacted } from './assignment-log.js';
import type { Assignment, AssignmentFilter, DesiredState, NewAssignment, StatusObservation } from './assignments.types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

  /**
   * Upserts observed container statuses in one statement; ignores assignments that no longer
   * exist. A row whose observed fields are unchanged is not written (no new revision, no
   * WAL): agents repeat their whole status every heartbeat, and only changes matter. So
   * `observedAt` is when the current state was first reported. Returns the changed rows'
   * assignment and workload ids (rolling updates advance on them).
   */
  async recordStatus(obs: readonly StatusObservation[]): Promise<{ assignmentId: string; workloadId: string; revision: number }[]> {
    if (obs.length === 0) return [];
    // The last observation of an assignment wins (a batch may hold two reports of one node).
    // Ids that cannot be assignments are ignored like unknown ones (the uuid cast would fail
    // the whole statement).
    const latest = new Map<string, StatusObservation>();
    for (const o of obs) if (UUID.test(o.assignmentId)) latest.set(o.assignmentId, o);
    if (latest.size === 0) return [];
    const rows = [...latest.values()]
      .sort((x, y) => (x.assignmentId < y.assignmentId ? -1 : x.assignmentId > y.assignmentId ? 1 : 0))
      .map((o) => ({
        assignment_id: o.assignmentId,
        node_id: o.nodeId,
        container_id: o.containerId,
        state: o.state,
        exit_code: o.exitCode,
        restart_count: o.restartCount,
        reason: o.reason,
        message: o.message,
        ready: o.ready,
        image_digest: o.imageDigest,
        assignment_revision: o.assignmentRevision === null ? null : String(o.assignmentRevision),
        started_at: o.startedAt?.toISOString() ?? null,
        finished_at: o.finishedAt?.toISOString() ?? null,
        observed_at: (o.observedAt ?? new Date()).toISOString(),
      }));
    const changed = await this.db.prisma.$queryRawUnsafe<{ assignment_id: string; workload_id: string; revision: string }[]>(
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(
           assignment_id uuid, node_id text, container_id text, state text, exit_code int, restart_count int,
           reason text, message text, ready boolean, image_digest text, assignment_revision bigint,
           started_at timestamptz, finished_at timestamptz, observed_at timestamptz)
       ), up AS (
         INSERT INTO "container_statuses" AS c ("assignment_id", "node_id", "container_id", "state", "exit_code",
           "restart_count", "reason", "message", "ready", "image_digest", "assignment_revision", "started_at",
           "finished_at", "observed_at")
         SELECT v.assignment_id, v.node_id, v.container_id, v.state, v.exit_code, v.restart_count, v.reason,
           v.message, v.ready, v.image_digest, v.assignment_revision, v.started_at, v.finished_at, v.observed_at
           FROM v JOIN "assignments" a ON a."id" = v.assignment_id
         ON CONFLICT ("assignment_id") DO UPDATE SET
           "node_id" = EXCLUDED."node_id", "container_id" = EXCLUDED."container_id", "state" = EXCLUDED."state",
           "exit_code" = EXCLUDED."exit_code", "restart_count" = EXCLUDED."restart_count", "reason" = EXCLUDED."reason",
           "message" = EXCLUDED."message", "ready" = EXCLUDED."ready", "image_digest" = EXCLUDED."image_digest",
           "assignment_revision" = EXCLUDED."assignment_revision", "started_at" = EXCLUDED."started_at",
           "finished_at" = EXCLUDED."finished_at", "observed_at" = EXCLUDED."observed_at"
         WHERE (c."node_id", c."container_id", c."state", c."exit_code", c."restart_count", c."reason", c."message",
                c."ready", c."image_digest", c."assignment_revision", c."started_at", c."finished_at")
           IS DISTINCT FROM
               (EXCLUDED."node_id", EXCLUDED."container_id", EXCLUDED."state", EXCLUDED."exit_code", EXCLUDED."restart_count",
                EXCLUDED."reason", EXCLUDED."message", EXCLUDED."ready", EXCLUDED."image_digest",
                EXCLUDED."assignment_revision", EXCLUDED."started_at", EXCLUDED."finished_at")
         RETURNING c."assignment_id", c."revision"
       )
       SELECT up."assignment_id"::text AS assignment_id, a."workload_id"::text AS workload_id, up."revision"::text AS revision
         FROM up JOIN "assignments" a ON a."id" = up."assignment_id"`,
      JSON.stringify(rows),
    );
    return changed.map((r) => ({ assignmentId: r.assignment_id, workloadId: r.workload_id, revision: Number(r.revision) }));
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
