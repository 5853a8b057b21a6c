import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentCaller, type Caller } from '../common/request-context.js';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createTokenSchema, listTokensQuery } from './dto/tokens.dto.js';
import { TokensService } from './tokens.service.js';
import type { ApiToken, CreatedApiToken } from './tokens.types.js';

const idSchema = z.uuid();

/** Every role manages its own tokens; the service enforces ownership and the role ceiling. */
@ApiTags('tokens')
@RequireRole('viewer')
@Controller('api/v1/tokens')
export class TokensHttpController {
  constructor(@Inject(TokensService) private readonly tokens: TokensService) {}

  @Post()
  @Audited('token.create', 'token')
  @ApiOperation({
    summary:
      'Create an API token for yourself (any role; admins may name another user). `role` is at most your own role ' +
      "(403 token_role_too_high otherwise) and defaults to the owner's. The secret is in the response once and never again.",
  })
  @ApiBody({ schema: openApiSchema(createTokenSchema) })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller): Promise<CreatedApiToken> {
    const input = parseInput(createTokenSchema, body, 'token');
    return this.tokens.create(caller.actor, input);
  }

  @Get()
  @ApiOperation({ summary: 'List API tokens without secrets: your own; admins see all and may filter by ?user=.' })
  @ApiQuery({ name: 'user', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Query() query: Record<string, unknown>, @CurrentCaller() caller: Caller): Promise<Page<ApiToken>> {
    const q = parseInput(listTokensQuery, { user: query['user'] }, 'query');
    return this.tokens.list(caller.actor, q.user, parsePageQuery(query));
  }

  @Delete(':id')
  @Audited('token.revoke', 'token', 'id')
  @ApiOperation({ summary: "Revoke an API token: your own; admins any. Another user's token is 404 to non-admins." })
  async revoke(@Param('id') id: string, @CurrentCaller() caller: Caller): Promise<ApiToken> {
    return this.tokens.revoke(caller.actor, parseInput(idSchema, id, 'token id'));
  }
}
