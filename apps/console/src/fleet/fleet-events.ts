import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.js';
import { DatabaseService } from '../database/database.service.js';

/**
 * `status`: observed container status of a workload's replicas changed (id: the workload).
 * `event`: events were recorded (id and revision: the highest event id).
 */
export type FleetEventKind = 'workload' | 'assignment' | 'node' | 'status' | 'event';

/** A committed change: the object and the global revision it now has. */
export interface FleetEvent {
  kind: FleetEventKind;
  id: string;
  revision: number;
  /** For `assignment` events: the node the assignment is on, so agents' watches can filter. */
  nodeId?: string;
  /** The object was deleted (a deleted node must also lose its agent connection). */
  removed?: true;
  /** A node's certificate was revoked: the row stays, its agent connection must end. */
  revoked?: true;
}

export type FleetListener = (event: FleetEvent) => void;

export const FLEET_CHANNEL = 'berth_fleet';
/** NOTIFY payloads are limited to 8000 bytes; stay well below. */
const MAX_PAYLOAD = 7000;

interface Wire {
  o: string;
  /** [kind, id, revision, nodeId, removed, revoked] */
  e: [FleetEventKind, string, number, (string | null)?, (1 | 0)?, 1?][];
}

/**
 * In-process fan-out of committed changes to the fleet (workloads, assignments, nodes).
 * Contract: publish only after the transaction committed; listeners run synchronously and
 * must not throw (a throwing listener is logged and skipped). With PostgreSQL every replica
 * LISTENs on one channel, so a change through any replica reaches listeners on all of them,
 * exactly once per replica. Events carry ids and revisions, not data: listeners re-read.
 */
@Injectable()
export class FleetEvents implements OnModuleInit, OnModuleDestroy {
  readonly replicaId = randomUUID();
  private readonly listeners = new Set<FleetListener>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    @Inject(DatabaseService) private readonly db: DatabaseService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.db.kind !== 'postgres') return;
    this.unlisten = await this.db.sql.listen(FLEET_CHANNEL, (payload) => this.onNotify(payload));
  }

  async onModuleDestroy(): Promise<void> {
    const u = this.unlisten;
    this.unlisten = undefined;
    if (u) await u().catch((err: unknown) => this.log.warn({ err }, 'failed to stop listening for fleet events'));
  }

  /** Returns an unsubscribe function. */
  subscribe(listener: FleetListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Call after commit. Delivers locally at once, then to other replicas via NOTIFY. */
  async publish(events: readonly FleetEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const e of events) this.deliver(e);
    if (this.db.kind !== 'postgres') return;
    for (const chunk of chunks(events)) {
      const wire: Wire = { o: this.replicaId, e: chunk.map(toWire) };
      try {
        await this.db.sql.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, JSON.stringify(wire)]);
      } catch (err) {
        this.log.error({ err }, 'failed to notify other replicas of fleet events');
      }
    }
  }

  private onNotify(payload: string): void {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch (err) {
      this.log.warn({ err }, 'failed to parse fleet event notification');
      return;
    }
    if (wire.o === this.replicaId) return;
    for (const w of wire.e) this.deliver(fromWire(w));
  }

  private deliver(e: FleetEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err, event: e }, 'fleet event listener threw');
      }
    }
  }
}

function toWire(e: FleetEvent): Wire['e'][number] {
  if (e.revoked) return [e.kind, e.id, e.revision, e.nodeId ?? null, e.removed ? 1 : 0, 1];
  if (e.removed) return [e.kind, e.id, e.revision, e.nodeId ?? null, 1];
  return e.nodeId === undefined ? [e.kind, e.id, e.revision] : [e.kind, e.id, e.revision, e.nodeId];
}

function fromWire([kind, id, revision, nodeId, removed, revoked]: Wire['e'][number]): FleetEvent {
  const e: FleetEvent = { kind, id, revision };
  if (nodeId !== undefined && nodeId !== null) e.nodeId = nodeId;
  if (removed === 1) e.removed = true;
  if (revoked === 1) e.revoked = true;
  return e;
}

function* chunks(events: readonly FleetEvent[]): Generator<FleetEvent[]> {
  let cur: FleetEvent[] = [];
  let size = 60;
  for (const e of events) {
    const s = e.id.length + (e.nodeId?.length ?? 0) + 48;
    if (cur.length > 0 && size + s > MAX_PAYLOAD) {
      yield cur;
      cur = [];
      size = 60;
    }
    cur.push(e);
    size += s;
  }
  if (cur.length) yield cur;
}
