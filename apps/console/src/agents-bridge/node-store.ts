import { Inject, Injectable } from '@nestjs/common';
import type { NewNode, NodeRecord, NodeStatus, NodeStatusUpdate, NodeStore } from '../agents/ports.js';
import { alreadyExists } from '../common/errors.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { DatabaseService } from '../database/database.service.js';
import type { Node as Row } from '../generated/prisma/client.js';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { Batcher } from '../common/batcher.js';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';

const NODE_FIELDS = { id: true, name: true, labels: true, status: true, certFingerprint: true, revokedAt: true, lastHeartbeatAt: true } as const;

function toRecord(r: Pick<Row, keyof typeof NODE_FIELDS>): NodeRecord {
  return {
    id: r.id,
    name: r.name,
    labels: r.labels as Record<string, string>,
    status: r.status as NodeStatus,
    certFingerprint: r.certFingerprint,
    revokedAt: r.revokedAt,
    lastHeartbeatAt: r.lastHeartbeatAt,
  };
}

interface StatusItem {
  id: string;
  update: NodeStatusUpdate;
}

/**
 * The agents module's NodeStore over the nodes table (repository: the only Prisma user here).
 *
 * Two calls come once per agent per heartbeat: `get` (every gRPC call authenticates its
 * node) and `recordStatus`. Both are group-committed (common/batcher.ts): the calls of one
 * event-loop turn, or those that arrive while the previous batch runs, become one query
 * (get) or two statements (status), and each caller still gets its own answer after its
 * write committed. At 2,000 agents this turns ~800 statements a second into a few batches.
 */
@Injectable()
export class PrismaNodeStore implements NodeStore {
  private readonly gets = new Batcher<string, NodeRecord | undefined>((ids) => this.getMany(ids));
  private readonly statuses = new Batcher<StatusItem, void>((items) => this.recordMany(items), { maxBatch: 500 });

  constructor(
    @Inject(DatabaseService) private readonly db: DatabaseService,
    @Inject(AssignmentsRepository) private readonly assignments: Pick<AssignmentsRepository, 'recordStatus'>,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'publish'>,
  ) {}

  async create(n: NewNode): Promise<NodeRecord> {
    try {
      const r = await this.db.prisma.node.create({
        data: {
          id: n.id,
          name: n.name,
          labels: n.labels,
          capacity: { ...n.capacity },
          allocatable: { ...n.allocatable },
          agentVersion: n.agentVersion,
          addresses: n.addresses,
          certFingerprint: n.certFingerprint,
          status: 'Ready',
          lastHeartbeatAt: new Date(),
        },
      });
      await this.fleet.publish([{ kind: 'node', id: r.id, revision: Number(r.revision) }]);
      return toRecord(r);
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('node', n.name, err);
      throw err;
    }
  }

  get(id: string): Promise<NodeRecord | undefined> {
    return this.gets.submit(id);
  }

  private async getMany(ids: string[]): Promise<(NodeRecord | undefined)[]> {
    const rows = await this.db.prisma.node.findMany({ where: { id: { in: [...new Set(ids)] } }, select: NODE_FIELDS });
    const byId = new Map(rows.map((r) => [r.id, toRecord(r)]));
    return ids.map((id) => byId.get(id));
  }

  recordStatus(id: string, update: NodeStatusUpdate): Promise<void> {
    return this.statuses.submit({ id, update });
  }

  /**
   * One batch of status reports: one UPDATE of the nodes (rows locked in id order, so
   * batches of several replicas and markNotReady cannot deadlock), one upsert of the
   * container statuses that changed, then the fleet events: nodes that came back to Ready
   * (the scheduler may place on them again) and workloads whose replicas changed state
   * (rolling updates advance on readiness).
   */
  private async recordMany(items: StatusItem[]): Promise<void[]> {
    const latest = new Map<string, NodeStatusUpdate>();
    for (const it of items) {
      const prev = latest.get(it.id);
      if (!prev || prev.at <= it.update.at) latest.set(it.id, it.update);
    }
    const rows = [...latest.entries()]
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([id, u]) => ({
        id,
        at: u.at.toISOString(),
        capacity: u.capacity ? { ...u.capacity } : null,
        allocatable: u.allocatable ? { ...u.allocatable } : null,
        usage: u.usage ? { ...u.usage } : null,
        agent_version: u.agentVersion,
        observed_revision: String(u.observedRevision),
      }));
    const updated = await this.db.prisma.$queryRawUnsafe<{ id: string; revision: string; before: string }[]>(
      `WITH v AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(
           id text, at timestamptz, capacity jsonb, allocatable jsonb, usage jsonb, agent_version text, observed_revision bigint)
       ), locked AS (
         SELECT n."id", n."status" FROM "nodes" n JOIN v ON v.id = n."id" ORDER BY n."id" FOR UPDATE OF n
       )
       UPDATE "nodes" AS n SET
         "last_heartbeat_at" = v.at, "status" = 'Ready',
         "capacity" = COALESCE(v.capacity, n."capacity"), "allocatable" = COALESCE(v.allocatable, n."allocatable"),
         "usage" = COALESCE(v.usage, n."usage"), "agent_version" = COALESCE(v.agent_version, n."agent_version"),
         "observed_revision" = v.observed_revision, "updated_at" = now()
         FROM v JOIN locked o ON o."id" = v.id
        WHERE n."id" = v.id
       RETURNING n."id", n."revision"::text AS revision, o."status" AS before`,
      JSON.stringify(rows),
    );
    const known = new Set(updated.map((r) => r.id));
    const changed = await this.assignments.recordStatus(
      [...latest.entries()].flatMap(([id, u]) =>
        known.has(id)
          ? u.containers.map((c) => ({
              assignmentId: c.assignmentId,
              nodeId: id,
              containerId: c.containerId || null,
              state: c.state,
              exitCode: c.exitCode,
              restartCount: c.restartCount,
              reason: c.reason || null,
              message: c.message || null,
              ready: c.ready,
              imageDigest: c.imageDigest || null,
              startedAt: c.startedAt,
              finishedAt: c.finishedAt,
              observedAt: u.at,
              assignmentRevision: c.revision,
            }))
          : [],
      ),
    );
    // Only a transition matters to the scheduler; heartbeats alone are not fleet events.
    const events: FleetEvent[] = updated.filter((r) => r.before !== 'Ready').map((r) => ({ kind: 'node', id: r.id, revision: Number(r.revision) }));
    const workloads = new Map<string, number>();
    for (const c of changed) workloads.set(c.workloadId, Math.max(workloads.get(c.workloadId) ?? 0, c.revision));
    for (const [id, revision] of workloads) events.push({ kind: 'status', id, revision });
    await this.fleet.publish(events);
    return items.map(() => undefined);
  }

  async markNotReady(staleBefore: Date): Promise<string[]> {
    // Rows locked in id order, as recordMany locks them.
    const rows = await this.db.sql.query<{ id: string; revision: string }>(
      `WITH stale AS (
         SELECT "id" FROM "nodes"
          WHERE "status" = 'Ready' AND ("last_heartbeat_at" IS NULL OR "last_heartbeat_at" < $1)
          ORDER BY "id" FOR UPDATE
       )
       UPDATE "nodes" AS n SET "status" = 'NotReady', "updated_at" = now()
         FROM stale WHERE n."id" = stale."id"
          AND n."status" = 'Ready' AND (n."last_heartbeat_at" IS NULL OR n."last_heartbeat_at" < $1)
       RETURNING n."id", n."revision"::text`,
      [staleBefore.toISOString()],
    );
    await this.fleet.publish(rows.map((r) => ({ kind: 'node' as const, id: r.id, revision: Number(r.revision) })));
    return rows.map((r) => r.id);
  }
}
