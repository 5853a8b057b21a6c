export { AssignmentsModule } from './assignments.module.js';
export { AssignmentsRepository } from './assignments.repository.js';
export { AssignmentsService, type AssignmentQuery } from './assignments.service.js';
export type { Assignment, AssignmentFilter, DesiredState, NewAssignment, ObservedStatus, StatusObservation } from './assignments.types.js';
