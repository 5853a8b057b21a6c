import { Inject, Injectable } from '@nestjs/common';
import type { NewNode, NodeRecord, NodeStatus, NodeStatusUpdate, NodeStore } from '../agents/ports.js';
import { alreadyExists } from '../common/errors.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { DatabaseService } from '../database/database.service.js';
import type { Node as Row } from '../generated/prisma/client.js';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { FleetEvents } from '../fleet/fleet-events.js';

function toRecord(r: Row): NodeRecord {
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

/** The agents module's NodeStore over the nodes table (repository: the only Prisma user here). */
@Injectable()
export class PrismaNodeStore implements NodeStore {
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

  async get(id: string): Promise<NodeRecord | undefined> {
    const r = await this.db.prisma.node.findUnique({ where: { id } });
    return r ? toRecord(r) : undefined;
  }

  async recordStatus(id: string, u: NodeStatusUpdate): Promise<void> {
    const before = await this.db.prisma.node.findUnique({ where: { id }, select: { status: true } });
    if (!before) return;
    const r = await this.db.prisma.node.update({
      where: { id },
      data: {
        lastHeartbeatAt: u.at,
        status: 'Ready',
        ...(u.capacity ? { capacity: { ...u.capacity } } : {}),
        ...(u.allocatable ? { allocatable: { ...u.allocatable } } : {}),
        ...(u.usage ? { usage: { ...u.usage } } : {}),
        ...(u.agentVersion ? { agentVersion: u.agentVersion } : {}),
        observedRevision: BigInt(u.observedRevision),
      },
    });
    await this.assignments.recordStatus(
      u.containers.map((c) => ({
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
      })),
    );
    // Only a transition matters to the scheduler; heartbeats alone are not fleet events.
    if (before.status !== 'Ready') await this.fleet.publish([{ kind: 'node', id, revision: Number(r.revision) }]);
  }

  async markNotReady(staleBefore: Date): Promise<string[]> {
    const rows = await this.db.sql.query<{ id: string; revision: string }>(
      `UPDATE "nodes" SET "status" = 'NotReady', "updated_at" = now()
        WHERE "status" = 'Ready' AND ("last_heartbeat_at" IS NULL OR "last_heartbeat_at" < $1)
        RETURNING "id", "revision"::text`,
      [staleBefore.toISOString()],
    );
    await this.fleet.publish(rows.map((r) => ({ kind: 'node' as const, id: r.id, revision: Number(r.revision) })));
    return rows.map((r) => r.id);
  }
}
