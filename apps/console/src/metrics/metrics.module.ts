import { Global, Module } from '@nestjs/common';
import { MetricsHttpController } from './metrics.http.controller.js';
import { MetricsService } from './metrics.service.js';

/** Global: any module may inject MetricsService (e.g. agents updating connectedAgents). */
@Global()
@Module({ providers: [MetricsService], controllers: [MetricsHttpController], exports: [MetricsService] })
export class MetricsModule {}
