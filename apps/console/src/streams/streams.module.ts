import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AssignmentsModule } from '../assignments/assignments.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { LOGGER } from '../common/logger.js';
import { EventsService } from '../events/index.js';
import { FleetEvents } from '../fleet/fleet-events.js';
import { EventTail } from './event-tail.js';
import { StreamsGateway } from './streams.gateway.js';
import { WsExceptionFilter } from './ws-exception.filter.js';

/**
 * WebSocket streams (logs, stats, exec, fleet changes, recorded events); see README.md. Needs the app to use
 * StreamsWsAdapter (app.ts). Relays reach agents through AgentsGateway when the agents
 * listener is part of the app; without it relay streams fail with `agents_disabled`.
 */
@Module({
  imports: [AuthModule, AssignmentsModule],
  providers: [
    StreamsGateway,
    WsExceptionFilter,
    {
      provide: EventTail,
      inject: [EventsService, FleetEvents, LOGGER],
      // Recorded events are announced as `event` fleet events (on every replica): the tail reads
      // at once then; the interval read is only a safety net.
      useFactory: (events: EventsService, fleet: FleetEvents, log: Logger) =>
        new EventTail(events, log, { intervalMs: 5_000, maxBacklog: 10_000 }, (kick) => fleet.subscribe((e) => e.kind === 'event' && kick())),
    },
  ],
  exports: [StreamsGateway],
})
export class StreamsModule {}
