export { EventsModule } from './events.module.js';
export { EventsService } from './events.service.js';
export type { EventFilter, EventType, FleetRecordedEvent, NewEvent } from './events.types.js';
