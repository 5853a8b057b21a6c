import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import type { ConsoleConfig } from './config/config.js';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { MetricsService } from './metrics/metrics.service.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware.js';
import { UsersService } from './users/users.service.js';
import { StreamsWsAdapter } from './streams/streams.adapter.js';

export interface CreateAppOptions extends AppModuleOptions {
  /** Receives a generated initial admin password, exactly once, on first start. */
  onInitialAdminPassword?: (password: string) => void;
}

/** Builds the console's Nest application (not yet listening): middleware, guard, filter, docs. */
export async function createApp(config: ConsoleConfig, log: Logger, opts: CreateAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config, log, opts), {
    logger: ['error', 'warn'],
    abortOnError: false,
    bodyParser: true,
  });
  app.enableShutdownHooks();
  app.useWebSocketAdapter(new StreamsWsAdapter(app));
  const metrics = app.get(MetricsService);
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(metrics));
  app.useGlobalFilters(new HttpExceptionFilter(log));
  app.useGlobalGuards(app.get(AuthGuard));
  app.useGlobalInterceptors(app.get(AuditInterceptor));

  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Berth console API')
      .setDescription('Fleet state, workloads, users and tokens. Errors: {code, message, requestId, errors?[{path, message}]}.')
      .setVersion('v1')
      .addBearerAuth()
      .addCookieAuth('berth_session')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/openapi.json', yamlDocumentUrl: 'api/openapi.yaml' });

  await app.init();
  const admin = await app.get(UsersService).ensureInitialAdmin(config.adminPassword);
  if (admin.created) log.info('created initial user admin');
  if (admin.generatedPassword !== undefined) opts.onInitialAdminPassword?.(admin.generatedPassword);
  return app;
}
