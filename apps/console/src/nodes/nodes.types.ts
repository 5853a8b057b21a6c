export type NodeStatus = 'Ready' | 'NotReady' | 'Unknown';

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionAt?: string;
}

export interface Node {
  id: string;
  name: string;
  labels: Record<string, string>;
  capacity: Record<string, number>;
  allocatable: Record<string, number>;
  usage: Record<string, number> | null;
  conditions: NodeCondition[];
  status: NodeStatus;
  agentVersion: string | null;
  addresses: string[];
  unschedulable: boolean;
  draining: boolean;
  revokedAt: Date | null;
  lastHeartbeatAt: Date | null;
  observedRevision: number | null;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NodePatch {
  labels?: Record<string, string>;
  unschedulable?: boolean;
  draining?: boolean;
}

export interface NodeFilter {
  status?: NodeStatus;
}
