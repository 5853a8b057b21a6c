import type { Type } from '@nestjs/common';

/** The fleet domain modules (nodes, workloads, assignments, events, join tokens, registry credentials). */
export const DOMAIN_MODULES: Type[] = [];
