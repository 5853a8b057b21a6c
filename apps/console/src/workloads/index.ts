export { WorkloadsModule } from './workloads.module.js';
export { WorkloadsRepository } from './workloads.repository.js';
export { WorkloadsService } from './workloads.service.js';
export type { Workload, WorkloadRevision, WorkloadSpec, NewWorkload, WorkloadChange } from './workloads.types.js';
