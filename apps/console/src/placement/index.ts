export { PlacementModule } from './placement.module.js';
export { PlacementService, PLACEMENT_LOCK } from './placement.service.js';
