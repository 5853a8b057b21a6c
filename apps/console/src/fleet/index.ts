export { FleetModule } from './fleet.module.js';
export { FleetEvents, FLEET_CHANNEL, type FleetEvent, type FleetEventKind, type FleetListener } from './fleet-events.js';
