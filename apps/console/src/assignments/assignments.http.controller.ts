import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { parseInput } from '../common/validation.js';
import { AssignmentsService } from './assignments.service.js';
import type { Assignment } from './assignments.types.js';

const query = z.object({
  node: z.string().min(1).max(253).optional(),
  workload: z.string().min(1).max(253).optional(),
  desiredState: z.enum(['running', 'stopped', 'removed']).optional(),
  state: z.string().min(1).max(32).optional(),
});

@ApiTags('assignments')
@Controller('api/v1/assignments')
export class AssignmentsHttpController {
  constructor(@Inject(AssignmentsService) private readonly assignments: AssignmentsService) {}

  @Get()
  @ApiOperation({ summary: 'Replicas placed on nodes, with observed container status; filter by node, workload, desiredState, state.' })
  @ApiQuery({ name: 'node', required: false })
  @ApiQuery({ name: 'workload', required: false })
  @ApiQuery({ name: 'desiredState', required: false, enum: ['running', 'stopped', 'removed'] })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Query() q: Record<string, unknown>): Promise<Page<Assignment>> {
    const f = parseInput(query, { node: q['node'], workload: q['workload'], desiredState: q['desiredState'], state: q['state'] }, 'query');
    return this.assignments.list(f, parsePageQuery(q));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One assignment.' })
  get(@Param('id') id: string): Promise<Assignment> {
    return this.assignments.get(parseInput(z.uuid(), id, 'assignment id'));
  }
}
