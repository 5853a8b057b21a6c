import { Module, type DynamicModule } from '@nestjs/common';
import { AGENT_CONFIG, type AgentConfig } from './config/config.js';
import { RuntimeModule } from './runtime/runtime.module.js';
import { MetricsService } from './metrics/metrics.service.js';
import { MetricsController } from './metrics/metrics.controller.js';

@Module({})
export class AppModule {
  static forConfig(config: AgentConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class ConfigModule {},
      global: true,
      providers: [{ provide: AGENT_CONFIG, useValue: config }],
      exports: [AGENT_CONFIG],
    };
    return {
      module: AppModule,
      imports: [configModule, RuntimeModule],
      controllers: [MetricsController],
      providers: [MetricsService],
    };
  }
}
