import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { StreamsGateway } from './streams.gateway.js';
import { WsExceptionFilter } from './ws-exception.filter.js';

/**
 * WebSocket streams (logs, stats, exec, fleet events); see README.md. Needs the app to use
 * StreamsWsAdapter (app.ts). Relays reach agents through AgentsGateway when the agents
 * listener is part of the app; without it relay streams fail with `agents_disabled`.
 */
@Module({
  imports: [AuthModule, AssignmentsModule],
  providers: [StreamsGateway, WsExceptionFilter],
  exports: [StreamsGateway],
})
export class StreamsModule {}
