/**
 * The slices of the console's REST resources the CLI reads (dates arrive as ISO strings).
 * Kept here, not imported from apps/console: the CLI talks HTTP only.
 */
export interface Node {
  id: string;
  name: string;
  labels: Record<string, string>;
  capacity: Record<string, number>;
  allocatable: Record<string, number>;
  usage: Record<string, number> | null;
  conditions: { type: string; status: string; reason?: string; message?: string; lastTransitionAt?: string }[];
  status: string;
  agentVersion: string | null;
  addresses: string[];
  unschedulable: boolean;
  draining: boolean;
  revokedAt: string | null;
  lastHeartbeatAt: string | null;
  revision: number;
  createdAt: string;
}

export interface Workload {
  id: string;
  name: string;
  labels: Record<string, string>;
  replicas: number;
  spec: Record<string, unknown> & { image?: string; readinessProbe?: unknown };
  currentRevision: number;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface WorkloadRevision {
  number: number;
  spec: Record<string, unknown> & { image?: string };
  createdBy: string | null;
  revision: number;
  createdAt: string;
}

export interface ObservedStatus {
  containerId: string | null;
  state: string;
  exitCode: number | null;
  restartCount: number;
  reason: string | null;
  message: string | null;
  ready: boolean;
  observedAt: string;
}

export interface Assignment {
  id: string;
  workloadName: string;
  workloadRevision: number;
  nodeName: string;
  replicaIndex: number;
  desiredState: 'running' | 'stopped' | 'removed';
  revision: number;
  createdAt: string;
  status: ObservedStatus | null;
}

export interface FleetEvent {
  id: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  objectKind: string;
  objectId: string;
  createdAt: string;
}
