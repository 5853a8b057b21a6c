/**
 * Ports of the agents domain: the narrow interfaces the gRPC service needs from storage and
 * from the rest of the console. The Prisma repositories implement them in production;
 * memory.ts implements them for tests and benchmarks. Domain types only (no Prisma types); the
 * container spec is the wire type from @berth/proto because it is exactly what agents receive.
 */
import type { ContainerSpec } from '@berth/proto';

export type NodeStatus = 'Ready' | 'NotReady' | 'Unknown';

/** Resource amounts as agents report them. */
export interface NodeResources {
  cpuMillis: number;
  memoryBytes: number;
  pids: number;
  ephemeralStorageBytes: number;
}

export interface NodeRecord {
  id: string;
  name: string;
  labels: Record<string, string>;
  status: NodeStatus;
  /** SHA-256 fingerprint ("AB:CD:...") of the client certificate last issued to the node. */
  certFingerprint: string | null;
  revokedAt: Date | null;
  lastHeartbeatAt: Date | null;
}

/** A node being registered; `id` is chosen by the console (it is the certificate's CN). */
export interface NewNode {
  id: string;
  name: string;
  labels: Record<string, string>;
  capacity: NodeResources;
  allocatable: NodeResources;
  agentVersion: string;
  addresses: string[];
  certFingerprint: string;
}

/** Observed state of one assignment's container. */
export interface ContainerObservation {
  assignmentId: string;
  containerId: string;
  state: 'unknown' | 'pulling' | 'created' | 'running' | 'exited' | 'backoff' | 'failed' | 'removed';
  exitCode: number;
  restartCount: number;
  reason: string;
  message: string;
  ready: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  imageDigest: string;
  revision: number;
}

/** Everything one status report says; also the heartbeat. */
export interface NodeStatusUpdate {
  at: Date;
  capacity: NodeResources | null;
  allocatable: NodeResources | null;
  usage: { cpuMillis: number; memoryBytes: number; pids: number; containersRunning: number } | null;
  agentVersion: string | null;
  containers: ContainerObservation[];
  observedRevision: number;
}

/**
 * Nodes. Contract: `recordStatus` sets lastHeartbeatAt = update.at and status Ready (the only
 * way back to Ready); `markNotReady` only touches nodes still Ready whose heartbeat is older
 * than `staleBefore` and returns the ids it changed (so two console replicas do not both
 * reschedule the same node).
 */
export interface NodeStore {
  create(node: NewNode): Promise<NodeRecord>;
  get(id: string): Promise<NodeRecord | undefined>;
  recordStatus(id: string, update: NodeStatusUpdate): Promise<void>;
  markNotReady(staleBefore: Date): Promise<string[]>;
}

export type JoinTokenRejection = 'unknown' | 'expired' | 'revoked' | 'exhausted';

/**
 * Join tokens. `consume` checks the secret (implementations store only a hash), expiry,
 * revocation and use count, and counts one use atomically when it accepts.
 */
export interface JoinTokenStore {
  consume(secret: string, now: Date): Promise<{ ok: true; tokenId: string } | { ok: false; reason: JoinTokenRejection }>;
}

export type DesiredState = 'running' | 'stopped' | 'removed';

/** One replica placed on a node, as the node sees it. */
export interface AssignmentView {
  id: string;
  workloadId: string;
  workloadName: string;
  replicaIndex: number;
  /** Store revision of its last change. */
  revision: number;
  workloadRevision: number;
  desiredState: DesiredState;
  spec: ContainerSpec;
}

export type AssignmentChange =
  | { kind: 'upsert'; assignment: AssignmentView }
  | { kind: 'delete'; assignmentId: string; revision: number };

/**
 * Assignments per node with a change history ordered by a fleet-wide revision.
 * Contract: an assignment never changes node (moving a replica is a delete on the old node
 * and a new assignment on the other); a snapshot lists only assignments not deleted.
 */
export interface AssignmentStore {
  /** All current assignments of the node, consistent at `revision` (the store's latest). */
  snapshot(nodeId: string): Promise<{ revision: number; assignments: AssignmentView[] }>;
  /**
   * Changes of the node's assignments with revision > `sinceRevision`, in revision order, and
   * the store revision they are consistent at; `compacted` when history before
   * `sinceRevision` is no longer kept (the caller then sends a snapshot).
   */
  changesSince(nodeId: string, sinceRevision: number): Promise<{ revision: number; changes: AssignmentChange[] } | 'compacted'>;
}

/** Something changed that connected agents may need to hear about. */
export type FleetEvent =
  | { kind: 'assignment'; nodeId: string; revision: number }
  | { kind: 'node-revoked'; nodeId: string };

/**
 * Change notifications, across console replicas in production (PostgreSQL LISTEN/NOTIFY).
 * Events may be duplicated or coalesced; listeners re-read the store.
 */
export interface FleetEventSource {
  subscribe(listener: (event: FleetEvent) => void): () => void;
}

/** Asks the workloads domain to move replicas off nodes that became NotReady. */
export interface Rescheduler {
  nodesLost(nodeIds: string[]): Promise<void>;
}
