import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createRegistryCredentialSchema } from './dto/registry-credentials.dto.js';
import { RegistryCredentialsService } from './registry-credentials.service.js';
import type { RegistryCredential } from './registry-credentials.types.js';

@ApiTags('registry-credentials')
@RequireRole('operator')
@Controller('api/v1/registry-credentials')
export class RegistryCredentialsHttpController {
  constructor(@Inject(RegistryCredentialsService) private readonly creds: RegistryCredentialsService) {}

  @Post()
  @Audited('registry_credential.create', 'registry_credential')
  @ApiOperation({ summary: 'Store a registry credential (operator); the password is encrypted and never returned.' })
  @ApiBody({ schema: openApiSchema(createRegistryCredentialSchema) })
  create(@Body() body: unknown): Promise<RegistryCredential> {
    const i = parseInput(createRegistryCredentialSchema, body, 'registry credential');
    return this.creds.create(i.name, i.registry, i.username, i.password);
  }

  @Get()
  @ApiOperation({ summary: 'List registry credentials without secrets.' })
  list(@Query() q: Record<string, unknown>): Promise<Page<RegistryCredential>> {
    return this.creds.list(parsePageQuery(q));
  }

  @Delete(':name')
  @HttpCode(204)
  @Audited('registry_credential.delete', 'registry_credential', 'name')
  @ApiOperation({ summary: 'Delete a registry credential (operator).' })
  async delete(@Param('name') name: string): Promise<void> {
    await this.creds.delete(name);
  }
}
