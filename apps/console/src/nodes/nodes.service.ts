import { Inject, Injectable } from '@nestjs/common';
import { notFound, revisionConflict } from '../common/errors.js';
import { matchesLabels, type LabelRequirement } from '../common/labels.js';
import { filteredPage, type Page, type PageRequest } from '../common/pagination.js';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';
import { nodeError } from './nodes.errors.js';
import { NodesRepository } from './nodes.repository.js';
import type { Node, NodeFilter, NodePatch } from './nodes.types.js';

export type NodesStore = Pick<NodesRepository, 'findByName' | 'listAfter' | 'updateIfRevision' | 'revoke' | 'delete' | 'currentStoreRevision'>;

/**
 * Nodes as people manage them: labels, cordon (no new replicas), drain (cordon and ask the
 * scheduler to move replicas away), revoke (refuse its certificate, keep the record), delete. Registration and heartbeats belong to the agents
 * module. Every change is published as a `node` fleet event after commit.
 */
@Injectable()
export class NodesService {
  constructor(
    @Inject(NodesRepository) private readonly repo: NodesStore,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'publish'>,
  ) {}

  async get(name: string): Promise<Node> {
    const n = await this.repo.findByName(name);
    if (!n) throw notFound('node', name);
    return n;
  }

  async list(filter: NodeFilter, selector: LabelRequirement[], page: PageRequest): Promise<Page<Node>> {
    return filteredPage((after, n) => this.repo.listAfter(filter, after, n), (x) => matchesLabels(x.labels, selector), (x) => x.name, page);
  }

  /** With a revision: conditional (stale -> revision_conflict). Without: applies to the latest. */
  async patch(name: string, revision: number | undefined, patch: NodePatch): Promise<Node> {
    const cur = await this.get(name);
    const expected = revision ?? cur.revision;
    if (cur.revision !== expected) throw revisionConflict('node', name, expected, cur.revision);
    const updated = await this.repo.updateIfRevision(name, expected, patch);
    if (!updated) throw revisionConflict('node', name, expected, (await this.get(name)).revision);
    await this.fleet.publish([{ kind: 'node', id: updated.id, revision: updated.revision }]);
    return updated;
  }

  cordon(name: string, revision?: number): Promise<Node> {
    return this.patch(name, revision, { unschedulable: true });
  }

  uncordon(name: string, revision?: number): Promise<Node> {
    return this.patch(name, revision, { unschedulable: false, draining: false });
  }

  drain(name: string, revision?: number): Promise<Node> {
    return this.patch(name, revision, { unschedulable: true, draining: true });
  }

  /**
   * Refuses the node's certificate from now on and makes it NotReady (placement moves its
   * replicas away; revoked nodes are never placed on). The node stays listed with revokedAt.
   * Its agent is cut off at once: the `revoked` node event reaches the agents bridge on every
   * replica, which ends the node's Watch and Session streams.
   */
  async revoke(name: string, now = new Date()): Promise<Node> {
    const r = await this.repo.revoke(name, now);
    if (!r) throw notFound('node', name);
    if (r.outcome === 'already') throw nodeError.alreadyRevoked(name, r.node.revokedAt ?? now);
    await this.fleet.publish([{ kind: 'node', id: r.node.id, revision: r.node.revision, revoked: true }]);
    return r.node;
  }

  async delete(name: string): Promise<void> {
    const r = await this.repo.delete(name);
    if (!r) throw notFound('node', name);
    const revision = await this.repo.currentStoreRevision();
    const events: FleetEvent[] = [{ kind: 'node', id: r.node.id, revision, removed: true }];
    for (const id of r.assignmentIds) events.push({ kind: 'assignment', id, nodeId: r.node.id, revision });
    await this.fleet.publish(events);
  }
}
