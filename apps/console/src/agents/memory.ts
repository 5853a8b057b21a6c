/**
 * In-memory implementations of the agents ports, for tests, benchmarks and single-process
 * experiments. They keep the same contracts as the Prisma repositories (see ports.ts).
 */
import { createHash } from 'node:crypto';
import type {
  AssignmentChange, AssignmentStore, AssignmentView, FleetEvent, FleetEventSource, JoinTokenRejection, JoinTokenStore,
  NewNode, NodeRecord, NodeStatusUpdate, NodeStore, Rescheduler,
} from './ports.js';

export class InMemoryNodeStore implements NodeStore {
  readonly nodes = new Map<string, NodeRecord & { lastStatus?: NodeStatusUpdate; info: NewNode }>();

  async create(node: NewNode): Promise<NodeRecord> {
    const rec = { id: node.id, name: node.name, labels: { ...node.labels }, status: 'Ready' as const, certFingerprint: node.certFingerprint, revokedAt: null, lastHeartbeatAt: null, info: node };
    this.nodes.set(node.id, rec);
    return { ...rec };
  }
  async get(id: string): Promise<NodeRecord | undefined> {
    const n = this.nodes.get(id);
    return n ? { ...n } : undefined;
  }
  async recordStatus(id: string, update: NodeStatusUpdate): Promise<void> {
    const n = this.nodes.get(id);
    if (!n) return;
    n.lastHeartbeatAt = update.at;
    n.status = 'Ready';
    n.lastStatus = update;
  }
  async markNotReady(staleBefore: Date): Promise<string[]> {
    const changed: string[] = [];
    for (const n of this.nodes.values()) {
      const last = n.lastHeartbeatAt ?? new Date(0);
      if (n.status === 'Ready' && last < staleBefore) {
        n.status = 'NotReady';
        changed.push(n.id);
      }
    }
    return changed;
  }
  revoke(id: string, at = new Date()): void {
    const n = this.nodes.get(id);
    if (n) n.revokedAt = at;
  }
}

interface Token { id: string; hash: string; expiresAt: Date; maxUses: number | null; used: number; revokedAt: Date | null }

export function hashJoinToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class InMemoryJoinTokenStore implements JoinTokenStore {
  private readonly tokens: Token[] = [];

  add(secret: string, o: { id?: string; expiresAt: Date; maxUses?: number | null }): string {
    const id = o.id ?? `jt-${this.tokens.length + 1}`;
    this.tokens.push({ id, hash: hashJoinToken(secret), expiresAt: o.expiresAt, maxUses: o.maxUses ?? null, used: 0, revokedAt: null });
    return id;
  }
  revoke(id: string, at = new Date()): void {
    const t = this.tokens.find((x) => x.id === id);
    if (t) t.revokedAt = at;
  }
  async consume(secret: string, now: Date): Promise<{ ok: true; tokenId: string } | { ok: false; reason: JoinTokenRejection }> {
    const t = this.tokens.find((x) => x.hash === hashJoinToken(secret));
    if (!t) return { ok: false, reason: 'unknown' };
    if (t.revokedAt) return { ok: false, reason: 'revoked' };
    if (t.expiresAt <= now) return { ok: false, reason: 'expired' };
    if (t.maxUses !== null && t.used >= t.maxUses) return { ok: false, reason: 'exhausted' };
    t.used++;
    return { ok: true, tokenId: t.id };
  }
}

/** A synchronous fan-out of fleet events. */
export class InMemoryFleetEvents implements FleetEventSource {
  private readonly listeners = new Set<(e: FleetEvent) => void>();
  subscribe(listener: (e: FleetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(e: FleetEvent): void {
    for (const l of this.listeners) l(e);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

interface LogEntry { nodeId: string; revision: number; change: AssignmentChange }

/**
 * Assignments with a bounded change log: `retain` entries are kept, older ones are compacted
 * (watchers resuming from before them get a snapshot). Mutations bump one store revision and
 * publish an `assignment` event through `events`.
 */
export class InMemoryAssignmentStore implements AssignmentStore {
  private revision = 0;
  private readonly current = new Map<string, { nodeId: string; a: AssignmentView }>();
  private log: LogEntry[] = [];
  /** Highest revision dropped from the log. */
  private compactedThrough = 0;
  /** Count of snapshot and changesSince calls, for tests that check no full resend. */
  readonly calls = { snapshot: 0, changesSince: 0 };

  constructor(private readonly events?: InMemoryFleetEvents, private readonly retain = 10_000) {}

  get latestRevision(): number {
    return this.revision;
  }

  /** Creates or replaces an assignment on `nodeId`; returns it with its new revision. */
  upsert(nodeId: string, a: Omit<AssignmentView, 'revision'>): AssignmentView {
    const prev = this.current.get(a.id);
    if (prev && prev.nodeId !== nodeId) throw new Error(`failed to update assignment ${a.id}: it belongs to node ${prev.nodeId}, not ${nodeId}`);
    const view = { ...a, revision: ++this.revision };
    this.current.set(a.id, { nodeId, a: view });
    this.append({ nodeId, revision: view.revision, change: { kind: 'upsert', assignment: view } });
    return view;
  }

  /** Deletes an assignment; returns the revision of the deletion or undefined if unknown. */
  delete(assignmentId: string): number | undefined {
    const prev = this.current.get(assignmentId);
    if (!prev) return undefined;
    this.current.delete(assignmentId);
    const revision = ++this.revision;
    this.append({ nodeId: prev.nodeId, revision, change: { kind: 'delete', assignmentId, revision } });
    return revision;
  }

  private append(e: LogEntry): void {
    this.log.push(e);
    if (this.log.length > this.retain) {
      const drop = this.log.length - this.retain;
      this.compactedThrough = this.log[drop - 1]?.revision ?? this.compactedThrough;
      this.log = this.log.slice(drop);
    }
    this.events?.emit({ kind: 'assignment', nodeId: e.nodeId, revision: e.revision });
  }

  async snapshot(nodeId: string): Promise<{ revision: number; assignments: AssignmentView[] }> {
    this.calls.snapshot++;
    const assignments = [...this.current.values()].filter((x) => x.nodeId === nodeId).map((x) => x.a);
    return { revision: this.revision, assignments };
  }

  async changesSince(nodeId: string, sinceRevision: number): Promise<{ revision: number; changes: AssignmentChange[] } | 'compacted'> {
    this.calls.changesSince++;
    if (sinceRevision < this.compactedThrough) return 'compacted';
    const changes = this.log.filter((e) => e.nodeId === nodeId && e.revision > sinceRevision).map((e) => e.change);
    return { revision: this.revision, changes };
  }
}

/** Records which nodes were reported lost. */
export class RecordingRescheduler implements Rescheduler {
  readonly lost: string[][] = [];
  async nodesLost(nodeIds: string[]): Promise<void> {
    this.lost.push([...nodeIds]);
  }
}
