import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentCaller, type Caller } from '../common/request-context.js';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createTokenSchema } from './dto/tokens.dto.js';
import { TokensService } from './tokens.service.js';
import type { ApiToken, CreatedApiToken } from './tokens.types.js';

const idSchema = z.uuid();

@ApiTags('tokens')
@RequireRole('admin')
@Controller('api/v1/tokens')
export class TokensHttpController {
  constructor(@Inject(TokensService) private readonly tokens: TokensService) {}

  @Post()
  @Audited('token.create', 'token')
  @ApiOperation({ summary: 'Create an API token (admin). The secret is in the response once and never again.' })
  @ApiBody({ schema: openApiSchema(createTokenSchema) })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller): Promise<CreatedApiToken> {
    const input = parseInput(createTokenSchema, body, 'token');
    return this.tokens.create(input.username ?? caller.actor.username, input.name, input.expiresInSeconds);
  }

  @Get()
  @RequireRole('admin')
  @ApiOperation({ summary: 'List API tokens without secrets (admin); filter by ?username=.' })
  async list(@Query() query: Record<string, unknown>): Promise<Page<ApiToken>> {
    const username = parseInput(z.string().min(1).max(100).optional(), query['username'], 'username');
    return this.tokens.list(username, parsePageQuery(query));
  }

  @Delete(':id')
  @Audited('token.revoke', 'token', 'id')
  @ApiOperation({ summary: 'Revoke an API token (admin).' })
  async revoke(@Param('id') id: string): Promise<ApiToken> {
    return this.tokens.revoke(parseInput(idSchema, id, 'token id'));
  }
}
