import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from '../common/http.js';
import { Public } from '../auth/roles.js';
import { DatabaseService } from '../database/database.service.js';

@ApiTags('health')
@Controller()
export class HealthHttpController {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  @Public()
  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process serves HTTP.' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied.' })
  async readyz(@Res() res: Response): Promise<void> {
    const r = await this.db.readiness();
    res.status(r.ok ? 200 : 503).json(r.ok ? { status: 'ready', database: this.db.kind } : { status: 'not_ready', reason: r.reason });
  }
}
