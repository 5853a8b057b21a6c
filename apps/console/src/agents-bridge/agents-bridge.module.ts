import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  AGENTS_ASSIGNMENT_STORE,
  AGENTS_FLEET_EVENTS,
  AGENTS_JOIN_TOKEN_STORE,
  AGENTS_LOGGER,
  AGENTS_NODE_STORE,
  AGENTS_RESCHEDULER,
  AgentsModule,
  type AgentsOptions,
} from '../agents/agents.module.js';
import { AssignmentsModule } from '../assignments/assignments.module.js';
import { LOGGER } from '../common/logger.js';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/config.js';
import { JoinTokensModule } from '../join-tokens/join-tokens.module.js';
import { JoinTokensService } from '../join-tokens/join-tokens.service.js';
import { PlacementModule } from '../placement/placement.module.js';
import { PlacementService } from '../placement/placement.service.js';
import { PrismaAssignmentStore } from './assignment-store.js';
import { FleetEventSourceBridge } from './fleet-event-source.js';
import { PrismaNodeStore } from './node-store.js';

function hostPort(h: { host: string; port: number }): string {
  return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

/** Plugs the console's stores, fleet events and placement into the agents gRPC module. */
@Module({})
export class AgentsBridgeModule {
  static register(): DynamicModule {
    return {
      module: AgentsBridgeModule,
      imports: [
        AgentsModule.register({
          imports: [AssignmentsModule, JoinTokensModule, PlacementModule],
          providers: [
            { provide: AGENTS_NODE_STORE, useClass: PrismaNodeStore },
            { provide: AGENTS_ASSIGNMENT_STORE, useClass: PrismaAssignmentStore },
            { provide: AGENTS_JOIN_TOKEN_STORE, useExisting: JoinTokensService },
            { provide: AGENTS_FLEET_EVENTS, useClass: FleetEventSourceBridge },
            { provide: AGENTS_RESCHEDULER, useExisting: PlacementService },
            { provide: AGENTS_LOGGER, inject: [LOGGER], useFactory: (log: Logger) => log.child({ module: 'agents' }) },
          ],
          inject: [CONSOLE_CONFIG],
          useFactory: (c: ConsoleConfig): AgentsOptions => ({ dataDir: c.dataDir, listen: hostPort(c.grpcListen) }),
        }),
      ],
    };
  }
}
