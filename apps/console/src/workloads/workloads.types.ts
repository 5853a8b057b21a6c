import type { WorkloadSpec } from './dto/workload-spec.dto.js';

export type { WorkloadSpec };

export interface Workload {
  id: string;
  name: string;
  labels: Record<string, string>;
  replicas: number;
  spec: WorkloadSpec;
  /** Number of the WorkloadRevision the spec corresponds to (1, 2, ...). */
  currentRevision: number;
  /** Global store revision, for If-Match. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WorkloadRevision {
  id: string;
  workloadId: string;
  number: number;
  spec: WorkloadSpec;
  createdBy: string | null;
  revision: number;
  createdAt: Date;
}

export interface NewWorkload {
  name: string;
  labels: Record<string, string>;
  replicas: number;
  spec: WorkloadSpec;
}

/** What an update may change; a changed `spec` writes a new WorkloadRevision. */
export interface WorkloadChange {
  labels?: Record<string, string>;
  replicas?: number;
  spec?: WorkloadSpec;
}
