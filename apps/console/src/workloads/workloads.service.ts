import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { notFound, revisionConflict } from '../common/errors.js';
import { matchesLabels, type LabelRequirement } from '../common/labels.js';
import { filteredPage, type Page, type PageRequest } from '../common/pagination.js';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';
import { WorkloadsRepository } from './workloads.repository.js';
import { revisionNotFound } from './workloads.errors.js';
import type { NewWorkload, Workload, WorkloadChange, WorkloadRevision } from './workloads.types.js';

/** Equal specs whatever their key order (the database returns JSON keys in its own order). */
function sameSpec(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? null)), JSON.parse(JSON.stringify(b ?? null)));
}

export type WorkloadsStore = Pick<
  WorkloadsRepository,
  'create' | 'findByName' | 'listAfter' | 'update' | 'listRevisions' | 'getRevision' | 'delete' | 'currentStoreRevision'
>;
export type FleetPublisher = Pick<FleetEvents, 'publish'>;

/**
 * Desired state of workloads. Every spec change (create, update, rollback) writes a
 * WorkloadRevision; the scheduler turns the current revision and replica count into
 * assignments when it hears the `workload` fleet event published after each commit.
 */
@Injectable()
export class WorkloadsService {
  constructor(
    @Inject(WorkloadsRepository) private readonly repo: WorkloadsStore,
    @Inject(FleetEvents) private readonly fleet: FleetPublisher,
  ) {}

  async create(w: NewWorkload, by: string): Promise<Workload> {
    const created = await this.repo.create(w, by);
    await this.changed(created);
    return created;
  }

  async get(name: string): Promise<Workload> {
    const w = await this.repo.findByName(name);
    if (!w) throw notFound('workload', name);
    return w;
  }

  async list(selector: LabelRequirement[], page: PageRequest): Promise<Page<Workload>> {
    return filteredPage((after, n) => this.repo.listAfter(after, n), (w) => matchesLabels(w.labels, selector), (w) => w.name, page);
  }

  /** Conditional on `revision`; a stale one is a revision_conflict and nothing is stored. */
  async update(name: string, revision: number, change: WorkloadChange, by: string): Promise<Workload> {
    const cur = await this.get(name);
    if (cur.revision !== revision) throw revisionConflict('workload', name, revision, cur.revision);
    const next: WorkloadChange = { ...change };
    // An identical spec is not a new revision.
    if (next.spec !== undefined && sameSpec(next.spec, cur.spec)) delete next.spec;
    const updated = await this.repo.update(name, revision, next, by);
    if (!updated) throw revisionConflict('workload', name, revision, (await this.get(name)).revision);
    await this.changed(updated);
    return updated;
  }

  /** Replica count only; no new WorkloadRevision. Without a revision it applies to the latest. */
  async scale(name: string, replicas: number, revision: number | undefined, by: string): Promise<Workload> {
    const cur = await this.get(name);
    return this.update(name, revision ?? cur.revision, { replicas }, by);
  }

  /** Makes the spec of revision `to` current again, as a new revision (history is append-only). */
  async rollback(name: string, to: number, revision: number | undefined, by: string): Promise<Workload> {
    const cur = await this.get(name);
    const target = await this.repo.getRevision(cur.id, to);
    if (!target) throw revisionNotFound(name, to);
    const expected = revision ?? cur.revision;
    if (cur.revision !== expected) throw revisionConflict('workload', name, expected, cur.revision);
    if (sameSpec(target.spec, cur.spec)) return cur;
    const updated = await this.repo.update(name, expected, { spec: target.spec }, by);
    if (!updated) throw revisionConflict('workload', name, expected, (await this.get(name)).revision);
    await this.changed(updated);
    return updated;
  }

  async revisions(name: string): Promise<WorkloadRevision[]> {
    return this.repo.listRevisions((await this.get(name)).id);
  }

  async delete(name: string): Promise<void> {
    const r = await this.repo.delete(name);
    if (!r) throw notFound('workload', name);
    const revision = await this.repo.currentStoreRevision();
    const events: FleetEvent[] = [{ kind: 'workload', id: r.workload.id, revision, removed: true }];
    for (const a of r.removed) events.push({ kind: 'assignment', id: a.id, nodeId: a.nodeId, revision, removed: true });
    await this.fleet.publish(events);
  }

  private async changed(w: Workload): Promise<void> {
    await this.fleet.publish([{ kind: 'workload', id: w.id, revision: w.revision }]);
  }
}
