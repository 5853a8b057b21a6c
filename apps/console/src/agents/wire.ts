/** Mapping between agents-domain types and the berth.agent.v1 wire types. */
import { ContainerState, DesiredState, type Assignment, type ContainerStatus, type Resources, type StatusReport } from '@berth/proto';
import type { AssignmentView, ContainerObservation, NodeResources, NodeStatusUpdate } from './ports.js';

const DESIRED: Record<AssignmentView['desiredState'], DesiredState> = {
  running: DesiredState.DESIRED_STATE_RUNNING,
  stopped: DesiredState.DESIRED_STATE_STOPPED,
  removed: DesiredState.DESIRED_STATE_REMOVED,
};

export function toWireAssignment(a: AssignmentView): Assignment {
  return {
    id: a.id,
    workloadId: a.workloadId,
    workloadName: a.workloadName,
    replicaIndex: a.replicaIndex,
    revision: a.revision,
    workloadRevision: a.workloadRevision,
    desiredState: DESIRED[a.desiredState],
    spec: a.spec,
  };
}

const STATES: Record<number, ContainerObservation['state']> = {
  [ContainerState.CONTAINER_STATE_PULLING]: 'pulling',
  [ContainerState.CONTAINER_STATE_CREATED]: 'created',
  [ContainerState.CONTAINER_STATE_RUNNING]: 'running',
  [ContainerState.CONTAINER_STATE_EXITED]: 'exited',
  [ContainerState.CONTAINER_STATE_BACKOFF]: 'backoff',
  [ContainerState.CONTAINER_STATE_FAILED]: 'failed',
  [ContainerState.CONTAINER_STATE_REMOVED]: 'removed',
};

export function fromWireResources(r: Resources | undefined): NodeResources | null {
  if (!r) return null;
  return { cpuMillis: r.cpuMillis, memoryBytes: r.memoryBytes, pids: r.pids, ephemeralStorageBytes: r.ephemeralStorageBytes };
}

function time(ms: number): Date | null {
  return ms > 0 ? new Date(ms) : null;
}

export function fromWireContainer(c: ContainerStatus): ContainerObservation {
  return {
    assignmentId: c.assignmentId,
    containerId: c.containerId,
    state: STATES[c.state] ?? 'unknown',
    exitCode: c.exitCode,
    restartCount: c.restartCount,
    reason: c.reason,
    message: c.message,
    ready: c.ready,
    startedAt: time(c.startedAtUnixMs),
    finishedAt: time(c.finishedAtUnixMs),
    imageDigest: c.imageDigest,
    revision: c.revision,
  };
}

/** The store update for a status report received at `at` (the console's clock, not the agent's). */
export function fromWireStatus(r: StatusReport, at: Date): NodeStatusUpdate {
  return {
    at,
    capacity: fromWireResources(r.node?.capacity),
    allocatable: fromWireResources(r.node?.allocatable),
    usage: r.usage ? { cpuMillis: r.usage.cpuMillis, memoryBytes: r.usage.memoryBytes, pids: r.usage.pids, containersRunning: r.usage.containersRunning } : null,
    agentVersion: r.node?.agentVersion || null,
    containers: r.containers.map(fromWireContainer),
    observedRevision: r.observedRevision,
  };
}
