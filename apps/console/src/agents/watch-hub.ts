/**
 * Watch fan-out: an index of open Watch streams by node id. A fleet event for a node wakes only
 * that node's streams; each stream then asks the store for the node's changes after the last
 * revision it sent (so coalesced or duplicated events are harmless and nothing is sent twice).
 * One timer sends keepalives to every stream.
 */
import type { WatchEvent } from '@berth/proto';
import { errorMessage } from '../common/errors.js';
import { toServiceError } from './grpc-errors.js';
import { nodeRevoked } from './agents.errors.js';
import type { AssignmentChange, AssignmentStore, AssignmentView, FleetEvent, FleetEventSource } from './ports.js';
import { toWireAssignment } from './wire.js';
import type { AgentsLogger } from './logger.js';

/** The part of a grpc-js server stream the hub uses. */
export interface WatchSink {
  write(event: WatchEvent): boolean;
  end(): void;
  emit(event: 'error', err: unknown): boolean;
  on(event: 'close' | 'cancelled' | 'error' | 'finish', listener: () => void): unknown;
  /** grpc-js sets this when the client went away (possibly before the watch was attached). */
  readonly cancelled?: boolean;
}

interface Watcher {
  nodeId: string;
  sink: WatchSink;
  /** Revision the agent is consistent at after what we sent. */
  revision: number;
  busy: boolean;
  dirty: boolean;
  closed: boolean;
}

export interface WatchHubOptions {
  keepaliveMs: number;
  now?: () => number;
}

export class WatchHub {
  private readonly byNode = new Map<string, Set<Watcher>>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Milliseconds from a fleet event to the write of its changes, for /metrics. */
  onFanOut: ((nodeId: string, ms: number) => void) | undefined;

  constructor(
    private readonly store: AssignmentStore,
    private readonly events: FleetEventSource,
    private readonly log: AgentsLogger,
    private readonly opts: WatchHubOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.events.subscribe((e) => this.onEvent(e));
    this.timer = setInterval(() => this.keepalive(), this.opts.keepaliveMs);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const set of this.byNode.values()) for (const w of set) this.close(w);
    this.byNode.clear();
  }

  /** Open streams. */
  get size(): number {
    let n = 0;
    for (const s of this.byNode.values()) n += s.size;
    return n;
  }

  /** Starts a watch: initial snapshot or resumed changes, then live changes until the stream ends. */
  async attach(nodeId: string, sinceRevision: number, sink: WatchSink): Promise<void> {
    if (sink.cancelled) return; // its 'cancelled' event has fired already: nothing would detach it
    const w: Watcher = { nodeId, sink, revision: sinceRevision, busy: true, dirty: false, closed: false };
    const set = this.byNode.get(nodeId) ?? new Set<Watcher>();
    set.add(w);
    this.byNode.set(nodeId, set);
    const detach = (): void => {
      w.closed = true;
      set.delete(w);
      if (set.size === 0 && this.byNode.get(nodeId) === set) this.byNode.delete(nodeId);
    };
    for (const ev of ['close', 'cancelled', 'error', 'finish'] as const) sink.on(ev, detach);
    try {
      const resumed = sinceRevision > 0 ? await this.store.changesSince(nodeId, sinceRevision) : 'compacted';
      if (resumed === 'compacted') await this.sendSnapshot(w);
      else this.sendChanges(w, resumed.changes, resumed.revision);
    } catch (err) {
      this.log.error({ nodeId, err: errorMessage(err) }, 'failed to start watch');
      detach();
      sink.emit('error', toServiceError(err));
      return;
    }
    w.busy = false;
    if (w.dirty) void this.pump(w, undefined);
  }

  private async sendSnapshot(w: Watcher): Promise<void> {
    const snap = await this.store.snapshot(w.nodeId);
    if (w.closed) return;
    w.sink.write({ event: { $case: 'snapshot', value: { revision: snap.revision, assignments: snap.assignments.map(toWireAssignment) } } });
    w.revision = snap.revision;
  }

  private sendChanges(w: Watcher, changes: AssignmentChange[], revision: number): void {
    if (w.closed) return;
    for (const c of changes) {
      if ((c.kind === 'upsert' ? c.assignment.revision : c.revision) <= w.revision) continue;
      w.sink.write(c.kind === 'upsert' ? upsert(c.assignment) : { event: { $case: 'delete', value: { assignmentId: c.assignmentId, revision: c.revision } } });
    }
    w.revision = Math.max(w.revision, revision);
  }

  private onEvent(e: FleetEvent): void {
    const set = this.byNode.get(e.nodeId);
    if (!set) return;
    if (e.kind === 'node-revoked') {
      for (const w of [...set]) {
        w.closed = true;
        w.sink.emit('error', toServiceError(nodeRevoked(e.nodeId)));
      }
      return;
    }
    const at = (this.opts.now ?? Date.now)();
    for (const w of set) if (e.revision > w.revision) void this.pump(w, at);
  }

  /** Sends everything after w.revision; coalesces wake-ups that arrive while busy. */
  private async pump(w: Watcher, eventAt: number | undefined): Promise<void> {
    if (w.busy) {
      w.dirty = true;
      return;
    }
    w.busy = true;
    try {
      do {
        w.dirty = false;
        const res = await this.store.changesSince(w.nodeId, w.revision);
        if (w.closed) return;
        if (res === 'compacted') await this.sendSnapshot(w);
        else this.sendChanges(w, res.changes, res.revision);
        if (eventAt !== undefined) this.onFanOut?.(w.nodeId, (this.opts.now ?? Date.now)() - eventAt);
      } while (w.dirty && !w.closed);
    } catch (err) {
      this.log.error({ nodeId: w.nodeId, err: errorMessage(err) }, 'failed to send assignment changes; closing the watch so the agent resumes');
      w.sink.emit('error', toServiceError(err));
    } finally {
      w.busy = false;
    }
  }

  private keepalive(): void {
    const now = (this.opts.now ?? Date.now)();
    for (const set of this.byNode.values()) {
      for (const w of set) if (!w.busy && !w.closed) w.sink.write({ event: { $case: 'keepalive', value: { revision: w.revision, serverTimeUnixMs: now } } });
    }
  }

  private close(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    w.sink.end();
  }
}

function upsert(a: AssignmentView): WatchEvent {
  return { event: { $case: 'upsert', value: { assignment: toWireAssignment(a) } } };
}
