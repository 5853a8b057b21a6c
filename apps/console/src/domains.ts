import type { Type } from '@nestjs/common';
import { AssignmentsModule } from './assignments/assignments.module.js';
import { EventsModule } from './events/events.module.js';
import { JoinTokensModule } from './join-tokens/join-tokens.module.js';
import { NodesModule } from './nodes/nodes.module.js';
import { PlacementModule } from './placement/placement.module.js';
import { RegistryCredentialsModule } from './registry-credentials/registry-credentials.module.js';
import { WorkloadsModule } from './workloads/workloads.module.js';

/** The fleet domain modules. */
export const DOMAIN_MODULES: Type[] = [NodesModule, WorkloadsModule, AssignmentsModule, EventsModule, JoinTokensModule, RegistryCredentialsModule, PlacementModule];
