import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { numericAfter, parsePageQuery, type Page } from '../common/pagination.js';
import { parseInput } from '../common/validation.js';
import { EventsService } from './events.service.js';
import type { FleetRecordedEvent } from './events.types.js';

const query = z.object({
  kind: z.string().min(1).max(64).optional(),
  object: z.string().min(1).max(253).optional(),
  type: z.enum(['Normal', 'Warning']).optional(),
});

@ApiTags('events')
@Controller('api/v1/events')
export class EventsHttpController {
  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  @Get()
  @ApiOperation({ summary: 'Events, newest first; filter by kind (workload, node, ...), object id and type.' })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'object', required: false })
  @ApiQuery({ name: 'type', required: false, enum: ['Normal', 'Warning'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Query() q: Record<string, unknown>): Promise<Page<FleetRecordedEvent>> {
    const f = parseInput(query, { kind: q['kind'], object: q['object'], type: q['type'] }, 'query');
    const page = parsePageQuery(q);
    numericAfter(page);
    return this.events.list(
      { ...(f.kind ? { objectKind: f.kind } : {}), ...(f.object ? { objectId: f.object } : {}), ...(f.type ? { type: f.type } : {}) },
      page,
    );
  }
}
