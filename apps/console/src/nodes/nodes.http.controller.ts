import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from '../common/http.js';
import { parseLabelSelector } from '../common/labels.js';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { etag, expectedRevision } from '../common/revision.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { listNodesQuery, nodeActionSchema, patchNodeSchema } from './dto/nodes.dto.js';
import { nodePageSchema, nodeResponseSchema } from './dto/nodes.openapi.js';
import { NodesService } from './nodes.service.js';
import type { Node } from './nodes.types.js';

function optionalRevision(ifMatch: string | undefined, body: unknown, name: string): number | undefined {
  const input = parseInput(nodeActionSchema, body ?? {}, 'node action');
  return ifMatch === undefined && input.revision === undefined ? undefined : expectedRevision(ifMatch, input.revision, 'node', name);
}

@ApiTags('nodes')
@RequireRole('operator')
@Controller('api/v1/nodes')
export class NodesHttpController {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({ summary: 'List nodes by name; filter with labelSelector and status.' })
  @ApiQuery({ name: 'labelSelector', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['Ready', 'NotReady', 'Unknown'] })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ schema: nodePageSchema })
  async list(@Query() query: Record<string, unknown>): Promise<Page<Node>> {
    const q = parseInput(listNodesQuery, { labelSelector: query['labelSelector'], status: query['status'] }, 'query');
    return this.nodes.list(q.status ? { status: q.status } : {}, parseLabelSelector(q.labelSelector ?? ''), parsePageQuery(query));
  }

  @Get(':name')
  @ApiOperation({ summary: 'Get a node.' })
  @ApiOkResponse({ schema: nodeResponseSchema })
  async get(@Param('name') name: string, @Res({ passthrough: true }) res: Response): Promise<Node> {
    const n = await this.nodes.get(name);
    res.setHeader('etag', etag(n.revision));
    return n;
  }

  @Patch(':name')
  @Audited('node.label', 'node', 'name')
  @ApiOperation({ summary: 'Replace the labels (operator); needs If-Match or body revision.' })
  @ApiBody({ schema: openApiSchema(patchNodeSchema) })
  async patch(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined): Promise<Node> {
    const input = parseInput(patchNodeSchema, body, 'node');
    return this.nodes.patch(name, expectedRevision(ifMatch, input.revision, 'node', name), { labels: input.labels });
  }

  @Post(':name/cordon')
  @HttpCode(200)
  @Audited('node.cordon', 'node', 'name')
  @ApiOperation({ summary: 'Stop placing new replicas on the node (operator).' })
  cordon(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined): Promise<Node> {
    return this.nodes.cordon(name, optionalRevision(ifMatch, body, name));
  }

  @Post(':name/uncordon')
  @HttpCode(200)
  @Audited('node.uncordon', 'node', 'name')
  @ApiOperation({ summary: 'Allow placement again and end a drain (operator).' })
  uncordon(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined): Promise<Node> {
    return this.nodes.uncordon(name, optionalRevision(ifMatch, body, name));
  }

  @Post(':name/drain')
  @HttpCode(200)
  @Audited('node.drain', 'node', 'name')
  @ApiOperation({ summary: 'Cordon and move its replicas elsewhere (operator).' })
  drain(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined): Promise<Node> {
    return this.nodes.drain(name, optionalRevision(ifMatch, body, name));
  }

  @Post(':name/revoke')
  @HttpCode(200)
  @RequireRole('admin')
  @Audited('node.revoke', 'node', 'name')
  @ApiOperation({
    summary:
      "Revoke the node's client certificate (admin): its agent is cut off at once, the node turns NotReady and its " +
      'replicas move elsewhere. The node stays listed with revokedAt; it can come back only by registering again ' +
      'with a join token. 409 node_already_revoked on a second call.',
  })
  @ApiOkResponse({ schema: nodeResponseSchema })
  revoke(@Param('name') name: string): Promise<Node> {
    return this.nodes.revoke(name);
  }

  @Delete(':name')
  @HttpCode(204)
  @Audited('node.delete', 'node', 'name')
  @ApiOperation({ summary: 'Forget a node and its assignments (operator); its agent must join again.' })
  async delete(@Param('name') name: string): Promise<void> {
    await this.nodes.delete(name);
  }
}
