import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from '../common/http.js';
import { parseLabelSelector } from '../common/labels.js';
import { parsePageQuery, type Page } from '../common/pagination.js';
import { CurrentCaller, type Caller } from '../common/request-context.js';
import { etag, expectedRevision } from '../common/revision.js';
import { openApiSchema, parseInput } from '../common/validation.js';
import { Audited } from '../audit/audited.js';
import { RequireRole } from '../auth/roles.js';
import { createWorkloadSchema, listWorkloadsQuery, rollbackSchema, scaleSchema, updateWorkloadSchema } from './dto/workloads.dto.js';
import { WorkloadsService } from './workloads.service.js';
import type { Workload, WorkloadRevision } from './workloads.types.js';

@ApiTags('workloads')
@RequireRole('operator')
@Controller('api/v1/workloads')
export class WorkloadsHttpController {
  constructor(@Inject(WorkloadsService) private readonly workloads: WorkloadsService) {}

  @Post()
  @Audited('workload.create', 'workload')
  @ApiOperation({ summary: 'Create a workload (operator); writes revision 1.' })
  @ApiBody({ schema: openApiSchema(createWorkloadSchema) })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller, @Res({ passthrough: true }) res: Response): Promise<Workload> {
    const input = parseInput(createWorkloadSchema, body, 'workload');
    const w = await this.workloads.create(input, caller.actor.username);
    res.setHeader('etag', etag(w.revision));
    return w;
  }

  @Get()
  @ApiOperation({ summary: 'List workloads by name; filter with labelSelector (a=b,c!=d,e,!f).' })
  @ApiQuery({ name: 'labelSelector', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  async list(@Query() query: Record<string, unknown>): Promise<Page<Workload>> {
    const q = parseInput(listWorkloadsQuery, { labelSelector: query['labelSelector'] }, 'query');
    return this.workloads.list(parseLabelSelector(q.labelSelector ?? ''), parsePageQuery(query));
  }

  @Get(':name')
  @ApiOperation({ summary: 'Get a workload; its ETag is the revision to send back in If-Match.' })
  async get(@Param('name') name: string, @Res({ passthrough: true }) res: Response): Promise<Workload> {
    const w = await this.workloads.get(name);
    res.setHeader('etag', etag(w.revision));
    return w;
  }

  @Put(':name')
  @Audited('workload.update', 'workload', 'name')
  @ApiOperation({ summary: 'Replace spec/labels/replicas (operator); needs If-Match or body revision; a spec change is a new revision.' })
  @ApiBody({ schema: openApiSchema(updateWorkloadSchema) })
  async update(
    @Param('name') name: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Workload> {
    const { revision, ...change } = parseInput(updateWorkloadSchema, body, 'workload');
    const w = await this.workloads.update(name, expectedRevision(ifMatch, revision, 'workload', name), change, caller.actor.username);
    res.setHeader('etag', etag(w.revision));
    return w;
  }

  @Post(':name/scale')
  @HttpCode(200)
  @Audited('workload.scale', 'workload', 'name')
  @ApiOperation({ summary: 'Set the replica count (operator).' })
  @ApiBody({ schema: openApiSchema(scaleSchema) })
  async scale(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined, @CurrentCaller() caller: Caller): Promise<Workload> {
    const input = parseInput(scaleSchema, body, 'scale');
    const rev = ifMatch === undefined && input.revision === undefined ? undefined : expectedRevision(ifMatch, input.revision, 'workload', name);
    return this.workloads.scale(name, input.replicas, rev, caller.actor.username);
  }

  @Post(':name/rollback')
  @HttpCode(200)
  @Audited('workload.rollback', 'workload', 'name')
  @ApiOperation({ summary: 'Make an earlier revision current again, as a new revision (operator).' })
  @ApiBody({ schema: openApiSchema(rollbackSchema) })
  async rollback(@Param('name') name: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined, @CurrentCaller() caller: Caller): Promise<Workload> {
    const input = parseInput(rollbackSchema, body, 'rollback');
    const rev = ifMatch === undefined && input.revision === undefined ? undefined : expectedRevision(ifMatch, input.revision, 'workload', name);
    return this.workloads.rollback(name, input.toRevision, rev, caller.actor.username);
  }

  @Get(':name/revisions')
  @ApiOperation({ summary: 'Revision history, newest first.' })
  async revisions(@Param('name') name: string): Promise<{ items: WorkloadRevision[] }> {
    return { items: await this.workloads.revisions(name) };
  }

  @Delete(':name')
  @HttpCode(204)
  @Audited('workload.delete', 'workload', 'name')
  @ApiOperation({ summary: 'Delete a workload and its assignments (operator).' })
  async delete(@Param('name') name: string): Promise<void> {
    await this.workloads.delete(name);
  }
}
