import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from '../common/http.js';
import { Public } from '../auth/roles.js';
import { MetricsService } from './metrics.service.js';

@ApiExcludeController()
@Controller()
export class MetricsHttpController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Public()
  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    res.setHeader('content-type', contentType);
    res.send(body);
  }
}
