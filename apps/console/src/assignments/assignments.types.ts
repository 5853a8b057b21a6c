export type DesiredState = 'running' | 'stopped' | 'removed';

/** What the node's agent last reported about an assignment's container. */
export interface ObservedStatus {
  containerId: string | null;
  state: string;
  exitCode: number | null;
  restartCount: number;
  reason: string | null;
  message: string | null;
  ready: boolean;
  imageDigest: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When the agent first reported this state (repeats of an unchanged status are not written; the node's lastHeartbeatAt says the agent is alive). */
  observedAt: Date;
  /** Assignment revision the agent was applying. */
  assignmentRevision: number | null;
}

export interface Assignment {
  id: string;
  workloadId: string;
  workloadName: string;
  workloadRevisionId: string;
  /** WorkloadRevision.number the replica runs. */
  workloadRevision: number;
  nodeId: string;
  nodeName: string;
  replicaIndex: number;
  desiredState: DesiredState;
  /** Global store revision of the last change. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
  status: ObservedStatus | null;
}

export interface NewAssignment {
  workloadId: string;
  /** WorkloadRevision.number */
  workloadRevision: number;
  nodeId: string;
  replicaIndex: number;
  desiredState?: DesiredState;
}

export interface AssignmentFilter {
  nodeId?: string;
  workloadId?: string;
  desiredState?: DesiredState;
  /** Observed container state, e.g. running, exited. */
  state?: string;
}

export interface StatusObservation extends Omit<ObservedStatus, 'observedAt'> {
  assignmentId: string;
  nodeId: string;
  observedAt?: Date;
}
