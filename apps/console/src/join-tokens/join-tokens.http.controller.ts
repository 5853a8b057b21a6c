import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { CurrentCaller, type Caller } from '../common/request-context.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createJoinTokenSchema } from './dto/join-tokens.dto.js';
import { JoinTokensService } from './join-tokens.service.js';
import type { CreatedJoinToken, JoinToken } from './join-tokens.types.js';

@ApiTags('join-tokens')
@RequireRole('admin')
@Controller('api/v1/join-tokens')
export class JoinTokensHttpController {
  constructor(@Inject(JoinTokensService) private readonly tokens: JoinTokensService) {}

  @Post()
  @Audited('join_token.create', 'join_token')
  @ApiOperation({ summary: 'Create a node join token (admin); the secret is shown once.' })
  @ApiBody({ schema: openApiSchema(createJoinTokenSchema) })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller): Promise<CreatedJoinToken> {
    const input = parseInput(createJoinTokenSchema, body, 'join token');
    return this.tokens.create(input.description, input.ttlSeconds, input.maxUses ?? null, caller.actor.username);
  }

  @Get()
  @RequireRole('admin')
  @ApiOperation({ summary: 'List join tokens without secrets (admin).' })
  list(@Query() q: Record<string, unknown>): Promise<Page<JoinToken>> {
    return this.tokens.list(parsePageQuery(q));
  }

  @Delete(':id')
  @Audited('join_token.revoke', 'join_token', 'id')
  @ApiOperation({ summary: 'Revoke a join token (admin).' })
  revoke(@Param('id') id: string): Promise<JoinToken> {
    return this.tokens.revoke(parseInput(z.uuid(), id, 'join token id'));
  }
}
