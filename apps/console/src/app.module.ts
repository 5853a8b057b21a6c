import { type DynamicModule, Global, Module, type ModuleMetadata } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from './common/logger.js';
import { CONSOLE_CONFIG, type ConsoleConfig } from './config/config.js';
import { DatabaseModule } from './database/database.module.js';
import { FleetModule } from './fleet/fleet.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { HealthModule } from './health/health.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { UsersModule } from './users/users.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { DOMAIN_MODULES } from './domains.js';
import { AgentsBridgeModule } from './agents-bridge/agents-bridge.module.js';
import { StreamsModule } from './streams/streams.module.js';

/** Config and logger, global so every module can inject CONSOLE_CONFIG and LOGGER. */
@Global()
@Module({})
class CoreModule {
  static register(config: ConsoleConfig, log: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
      ],
      exports: [CONSOLE_CONFIG, LOGGER],
    };
  }
}

export interface AppModuleOptions {
  /** Extra modules (tests). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  /** Serve agents over gRPC on config.grpcListen (default true). */
  agents?: boolean;
}

@Module({})
export class AppModule {
  static register(config: ConsoleConfig, log: Logger, opts: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(config, log),
        DatabaseModule,
        MetricsModule,
        FleetModule,
        AuditModule,
        HealthModule,
        UsersModule,
        TokensModule,
        AuthModule,
        ...DOMAIN_MODULES,
        ...(opts.agents === false ? [] : [AgentsBridgeModule.register()]),
        StreamsModule,
        ...(opts.imports ?? []),
      ],
    };
  }
}
