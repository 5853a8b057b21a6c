import type { Type } from '@nestjs/common';
import { WorkloadsModule } from './workloads/workloads.module.js';

/** The fleet domain modules (nodes, workloads, assignments, events, join tokens, registry credentials). */
export const DOMAIN_MODULES: Type[] = [WorkloadsModule];
