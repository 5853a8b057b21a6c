import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { parseInput } from '../common/validation.js';
import { RequireRole } from '../auth/roles.js';
import { AuditService } from './audit.service.js';
import type { AuditRecord } from './audit.types.js';

const filterSchema = z.object({
  actor: z.string().max(200).optional(),
  kind: z.string().max(100).optional(),
  object: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
});

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditHttpController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Audit log, newest first (admin).' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'object', required: false })
  @ApiQuery({ name: 'action', required: false })
  async list(@Query() query: Record<string, unknown>): Promise<Page<AuditRecord>> {
    const f = parseInput(filterSchema, { actor: query['actor'], kind: query['kind'], object: query['object'], action: query['action'] }, 'audit filter');
    return this.audit.list(
      {
        ...(f.actor === undefined ? {} : { actorName: f.actor }),
        ...(f.kind === undefined ? {} : { objectKind: f.kind }),
        ...(f.object === undefined ? {} : { objectId: f.object }),
        ...(f.action === undefined ? {} : { action: f.action }),
      },
      parsePageQuery(query),
    );
  }
}
