import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from '../common/http.js';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { etag, expectedRevision } from '../common/revision.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createUserSchema, updateUserSchema } from './dto/users.dto.js';
import { UsersService } from './users.service.js';
import type { User } from './users.types.js';

@ApiTags('users')
@RequireRole('admin')
@Controller('api/v1/users')
export class UsersHttpController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Post()
  @Audited('user.create', 'user')
  @ApiOperation({ summary: 'Create a user (admin).' })
  @ApiBody({ schema: openApiSchema(createUserSchema) })
  async create(@Body() body: unknown): Promise<User> {
    const input = parseInput(createUserSchema, body, 'user');
    return this.users.create(input.username, input.password, input.role);
  }

  @Get()
  @RequireRole('admin')
  @ApiOperation({ summary: 'List users (admin).' })
  async list(@Query() query: Record<string, unknown>): Promise<Page<User>> {
    return this.users.list(parsePageQuery(query));
  }

  @Get(':username')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Get a user (admin).' })
  async get(@Param('username') username: string, @Res({ passthrough: true }) res: Response): Promise<User> {
    const u = await this.users.get(username);
    res.setHeader('etag', etag(u.revision));
    return u;
  }

  @Patch(':username')
  @Audited('user.update', 'user', 'username')
  @ApiOperation({ summary: 'Change role, disabled or password (admin); needs If-Match or body revision.' })
  @ApiBody({ schema: openApiSchema(updateUserSchema) })
  async update(@Param('username') username: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined): Promise<User> {
    const input = parseInput(updateUserSchema, body, 'user');
    const { revision, ...change } = input;
    return this.users.update(username, expectedRevision(ifMatch, revision, 'user', username), change);
  }

  @Delete(':username')
  @HttpCode(204)
  @Audited('user.delete', 'user', 'username')
  @ApiOperation({ summary: 'Delete a user (admin).' })
  async delete(@Param('username') username: string): Promise<void> {
    await this.users.delete(username);
  }
}
