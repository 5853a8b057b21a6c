import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/errors.js';
import { filteredPage, type Page, type PageRequest } from '../common/pagination.js';
import { FleetEvents } from '../fleet/fleet-events.js';
import { NodesRepository } from '../nodes/nodes.repository.js';
import { WorkloadsRepository } from '../workloads/workloads.repository.js';
import { AssignmentsRepository } from './assignments.repository.js';
import type { Assignment, AssignmentFilter, DesiredState, NewAssignment } from './assignments.types.js';

export interface AssignmentQuery {
  node?: string;
  workload?: string;
  desiredState?: DesiredState;
  state?: string;
}

export type AssignmentsStore = Pick<AssignmentsRepository, 'listAfter' | 'get' | 'create' | 'setDesiredState'>;

/**
 * Reads assignments for people (by node and workload name) and applies placement decisions
 * for the scheduler, publishing one `assignment` fleet event (with nodeId) per changed row
 * after commit so agents' Watch streams wake up.
 */
@Injectable()
export class AssignmentsService {
  constructor(
    @Inject(AssignmentsRepository) private readonly repo: AssignmentsStore,
    @Inject(NodesRepository) private readonly nodes: Pick<NodesRepository, 'findByName'>,
    @Inject(WorkloadsRepository) private readonly workloads: Pick<WorkloadsRepository, 'findByName'>,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'publish'>,
  ) {}

  async list(q: AssignmentQuery, page: PageRequest): Promise<Page<Assignment>> {
    const f: AssignmentFilter = {};
    if (q.node !== undefined) {
      const n = await this.nodes.findByName(q.node);
      if (!n) throw notFound('node', q.node);
      f.nodeId = n.id;
    }
    if (q.workload !== undefined) {
      const w = await this.workloads.findByName(q.workload);
      if (!w) throw notFound('workload', q.workload);
      f.workloadId = w.id;
    }
    if (q.desiredState !== undefined) f.desiredState = q.desiredState;
    if (q.state !== undefined) f.state = q.state;
    return filteredPage((after, n) => this.repo.listAfter(f, after, n), () => true, (a) => a.id, page);
  }

  async get(id: string): Promise<Assignment> {
    const a = await this.repo.get(id);
    if (!a) throw notFound('assignment', id);
    return a;
  }

  async create(items: readonly NewAssignment[]): Promise<Assignment[]> {
    const created = await this.repo.create(items);
    await this.publish(created);
    return created;
  }

  async setDesiredState(ids: readonly string[], state: DesiredState): Promise<Assignment[]> {
    const changed = await this.repo.setDesiredState(ids, state);
    await this.publish(changed);
    return changed;
  }

  private async publish(items: readonly Assignment[]): Promise<void> {
    await this.fleet.publish(items.map((a) => ({ kind: 'assignment' as const, id: a.id, nodeId: a.nodeId, revision: a.revision })));
  }
}
