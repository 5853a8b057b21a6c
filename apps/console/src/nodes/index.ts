export { NodesModule } from './nodes.module.js';
export { NodesRepository, toNode } from './nodes.repository.js';
export { NodesService } from './nodes.service.js';
export type { Node, NodeStatus, NodeCondition, NodePatch } from './nodes.types.js';
