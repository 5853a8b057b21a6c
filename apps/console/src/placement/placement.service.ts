import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Rescheduler } from '../agents/ports.js';
import { AssignmentsService } from '../assignments/assignments.service.js';
import { LOGGER } from '../common/logger.js';
import { DatabaseService } from '../database/database.service.js';
import { EventsService } from '../events/events.service.js';
import { FleetEvents } from '../fleet/fleet-events.js';
import { schedule, type Decision } from '../scheduler/index.js';
import { PlacementRepository } from './placement.repository.js';

/** All console replicas serialize placement passes on this advisory lock. */
export const PLACEMENT_LOCK = 0x62706c63; // "bplc"

export interface PlacementOptions {
  /** Also run a pass this often (a safety net: passes follow fleet events, replica status included). 0 = never. */
  intervalMs: number;
  /**
   * Node and replica-status events start a pass after this many ms, so a burst of them (a
   * fleet of agents registering or heartbeating back) costs one pass, not one per event; a
   * pass reads the whole fleet. Workload changes and lost nodes run at once. Default 1000.
   */
  settleMs?: number;
}
export const PLACEMENT_OPTIONS = Symbol.for('berth.console.placement.options');

/**
 * Runs the scheduler: after workload and node changes (fleet events), when agents' nodes are
 * lost (the agents module's Rescheduler port), and on a timer. One pass at a time per process
 * and, through an advisory lock, across replicas; requests during a pass coalesce into one
 * more pass. Decisions: removals, then placements, through AssignmentsService (which publishes
 * assignment events); unplaceable and invalid workloads become Warning events, once per reason.
 */
@Injectable()
export class PlacementService implements Rescheduler, OnModuleInit, OnModuleDestroy {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly lastWarning = new Map<string, string>();
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PlacementRepository) private readonly repo: Pick<PlacementRepository, 'load'>,
    @Inject(AssignmentsService) private readonly assignments: Pick<AssignmentsService, 'create' | 'setDesiredState'>,
    @Inject(EventsService) private readonly events: Pick<EventsService, 'record'>,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'subscribe'>,
    @Inject(DatabaseService) private readonly db: Pick<DatabaseService, 'sql'>,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(PLACEMENT_OPTIONS) private readonly opts: PlacementOptions,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.fleet.subscribe((e) => {
      if (e.kind === 'workload') this.request();
      // status: a replica became ready or failed, so a rolling update may take its next step.
      else if (e.kind === 'node' || e.kind === 'status') this.requestSettled();
    });
    if (this.opts.intervalMs > 0) {
      this.timer = setInterval(() => this.request(), this.opts.intervalMs);
      this.timer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    await this.running?.catch(() => undefined);
  }

  async nodesLost(_nodeIds: string[]): Promise<void> {
    await this.runNow();
  }

  /** Asks for a pass; returns at once. */
  request(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    void this.runNow().catch((err: unknown) => this.log.error({ err }, 'failed to run placement pass'));
  }

  /** Asks for a pass within settleMs; requests meanwhile join it. */
  requestSettled(): void {
    if (this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.request();
    }, this.opts.settleMs ?? 1000);
    this.settleTimer.unref();
  }

  /** Runs a pass (or joins the running one and one more after it); resolves when done. */
  async runNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.db.sql.withSessionLock(PLACEMENT_LOCK, () => this.pass());
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** One scheduling pass; returns the decisions it applied. */
  async pass(): Promise<Decision[]> {
    const state = await this.repo.load();
    const decisions = schedule(state.workloads, state.nodes, state.assignments);
    const removals = decisions.flatMap((d) => (d.type === 'remove' ? [d.assignmentId] : []));
    if (removals.length) await this.assignments.setDesiredState(removals, 'removed');
    const places = decisions.flatMap((d) => (d.type === 'place' ? [{ workloadId: d.workloadId, workloadRevision: d.revision, nodeId: d.nodeId, replicaIndex: d.replicaIndex }] : []));
    if (places.length) await this.assignments.create(places);
    for (const d of decisions) {
      if (d.type !== 'unplaceable' && d.type !== 'invalid') continue;
      const key = `${d.workloadId}/${d.type === 'unplaceable' ? d.replicaIndex : '-'}`;
      if (this.lastWarning.get(key) === d.reason) continue;
      this.lastWarning.set(key, d.reason);
      await this.events.record({ type: 'Warning', reason: d.type === 'unplaceable' ? 'FailedScheduling' : 'InvalidWorkload', message: d.reason, objectKind: 'workload', objectId: d.workloadId });
    }
    return decisions;
  }
}
