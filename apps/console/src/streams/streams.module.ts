import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AssignmentsModule } from '../assignments/assignments.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { LOGGER } from '../common/logger.js';
import { EventsService } from '../events/index.js';
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
  providers: [StreamsGateway, WsExceptionFilter, { provide: EventTail, inject: [EventsService, LOGGER], useFactory: (events: EventsService, log: Logger) => new EventTail(events, log) }],
  exports: [StreamsGateway],
})
export class StreamsModule {}
