export { AgentsBridgeModule } from './agents-bridge.module.js';
export { PrismaAssignmentStore } from './assignment-store.js';
export { PrismaNodeStore } from './node-store.js';
export { FleetEventSourceBridge } from './fleet-event-source.js';
export { toContainerSpec } from './container-spec.js';
