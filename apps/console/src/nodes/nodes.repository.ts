import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { lockAssignmentWrites, markAssignmentsCompacted } from '../assignments/assignment-log.js';
import type { Node as Row } from '../generated/prisma/client.js';
import type { Node, NodeCondition, NodeFilter, NodePatch, NodeStatus } from './nodes.types.js';

export function toNode(r: Row): Node {
  return {
    id: r.id,
    name: r.name,
    labels: r.labels as Record<string, string>,
    capacity: r.capacity as Record<string, number>,
    allocatable: r.allocatable as Record<string, number>,
    usage: (r.usage ?? null) as Record<string, number> | null,
    conditions: r.conditions as unknown as NodeCondition[],
    status: r.status as NodeStatus,
    agentVersion: r.agentVersion,
    addresses: r.addresses as string[],
    unschedulable: r.unschedulable,
    draining: r.draining,
    revokedAt: r.revokedAt,
    lastHeartbeatAt: r.lastHeartbeatAt,
    observedRevision: r.observedRevision === null ? null : Number(r.observedRevision),
    revision: Number(r.revision),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

@Injectable()
export class NodesRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async findByName(name: string): Promise<Node | undefined> {
    const r = await this.db.prisma.node.findUnique({ where: { name } });
    return r ? toNode(r) : undefined;
  }

  async findById(id: string): Promise<Node | undefined> {
    const r = await this.db.prisma.node.findUnique({ where: { id } });
    return r ? toNode(r) : undefined;
  }

  async listAfter(filter: NodeFilter, after: string | undefined, n: number): Promise<Node[]> {
    const rows = await this.db.prisma.node.findMany({
      where: { ...(filter.status ? { status: filter.status } : {}), ...(after === undefined ? {} : { name: { gt: after } }) },
      orderBy: { name: 'asc' },
      take: n,
    });
    return rows.map(toNode);
  }

  /** Conditional on `revision`; undefined when the row moved on (or is gone). */
  async updateIfRevision(name: string, revision: number, patch: NodePatch): Promise<Node | undefined> {
    const n = await this.db.prisma.node.updateMany({ where: { name, revision: BigInt(revision) }, data: patch });
    return n.count === 0 ? undefined : this.findByName(name);
  }

  /**
   * Revokes the node's certificate and marks it NotReady, once: `revoked` when this call did
   * it, `already` when it was revoked before, undefined when there is no such node.
   */
  async revoke(name: string, at: Date): Promise<{ outcome: 'revoked' | 'already'; node: Node } | undefined> {
    const n = await this.db.prisma.node.updateMany({ where: { name, revokedAt: null }, data: { revokedAt: at, status: 'NotReady' } });
    const node = await this.findByName(name);
    if (!node) return undefined;
    return { outcome: n.count === 1 ? 'revoked' : 'already', node };
  }

  /** Deletes the node; its assignments and statuses cascade. Returns what was removed. */
  async delete(name: string): Promise<{ node: Node; assignmentIds: string[] } | undefined> {
    return this.db.prisma.$transaction(async (tx) => {
      const r = await tx.node.findUnique({ where: { name } });
      if (!r) return undefined;
      await lockAssignmentWrites(tx);
      const assignments = await tx.assignment.findMany({ where: { nodeId: r.id }, select: { id: true } });
      await tx.node.delete({ where: { id: r.id } });
      if (assignments.length) await markAssignmentsCompacted(tx);
      return { node: toNode(r), assignmentIds: assignments.map((a) => a.id) };
    });
  }

  async currentStoreRevision(): Promise<number> {
    const rows = await this.db.sql.query<{ v: string }>(`SELECT last_value::text AS v FROM berth_revision_seq`);
    return Number(rows[0]?.v ?? 0);
  }
}
