/**
 * Inputs and outputs of the scheduler. Plain data, independent of Prisma and gRPC: the
 * workloads service maps its records to these, calls `schedule`, and applies the decisions.
 */

/** Resource amounts; missing fields count as 0. */
export interface Resources {
  /** Thousandths of a core. */
  cpuMillis?: number;
  memoryBytes?: number;
  pids?: number;
}

export interface SchedulerNode {
  id: string;
  /** For messages and deterministic tie-breaking. */
  name: string;
  labels: Record<string, string>;
  /** Heartbeats arrive (status Ready). */
  ready: boolean;
  /** False when cordoned or draining: keeps what runs, gets nothing new. */
  schedulable: boolean;
  /** What containers may use on the node. */
  allocatable: Resources;
}

/** A count or a percentage of the desired replicas ("25%"), as in Kubernetes. */
export type IntOrPercent = number | `${number}%`;

export interface RollingUpdate {
  /** Replicas that may be unavailable during an update; percentages round down. Default 0. */
  maxUnavailable?: IntOrPercent;
  /** Replicas that may exist above `replicas` during an update; percentages round up. Default 1. */
  maxSurge?: IntOrPercent;
}

export interface SchedulerWorkload {
  id: string;
  name: string;
  replicas: number;
  /**
   * Desired workload revision. An update or a rollback (back to an older spec) is a new
   * desired revision; replicas at any other revision are replaced by the rolling update.
   */
  revision: number;
  /** Per-replica requests reserved on a node. */
  requests: Resources;
  /** Labels a node must have (all of them, exact values). */
  nodeSelector?: Record<string, string>;
  strategy?: RollingUpdate;
  /** Move replicas off nodes that stop being ready (default true). False for host-bound work. */
  rescheduleOnNodeFailure?: boolean;
}

export interface SchedulerAssignment {
  id: string;
  workloadId: string;
  nodeId: string;
  replicaIndex: number;
  /** Workload revision the replica runs. */
  revision: number;
  /** Requests it reserves on its node (those of its revision). */
  requests: Resources;
  /** The agent reports it running and passing its readiness probe. */
  ready: boolean;
}

/** Create an assignment: replica `replicaIndex` of the workload at `revision` on `nodeId`. */
export interface PlaceDecision {
  type: 'place';
  workloadId: string;
  replicaIndex: number;
  revision: number;
  nodeId: string;
}

/** Why an assignment is removed. */
export type RemoveReason = 'scale-down' | 'node-lost' | 'replaced' | 'workload-deleted';

/** Remove an assignment (desired state `removed`). */
export interface RemoveDecision {
  type: 'remove';
  assignmentId: string;
  workloadId: string;
  replicaIndex: number;
  reason: RemoveReason;
}

/** A replica that cannot be placed now, with a Kubernetes-style reason. */
export interface UnplaceableDecision {
  type: 'unplaceable';
  workloadId: string;
  replicaIndex: number;
  /** e.g. "0/3 nodes available: 2 insufficient memory, 1 node selector mismatch". */
  reason: string;
}

/** A workload whose spec the scheduler cannot act on (e.g. maxSurge and maxUnavailable both 0). */
export interface InvalidDecision {
  type: 'invalid';
  workloadId: string;
  reason: string;
}

/**
 * Decisions of one scheduling pass. Apply them in order: for each workload removals come
 * before placements, and placements already count the resources removals free.
 */
export type Decision = PlaceDecision | RemoveDecision | UnplaceableDecision | InvalidDecision;
