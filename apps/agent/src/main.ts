#!/usr/bin/env node
/**
 * berth-agent: runs on every host. This first version serves /healthz and /metrics over the
 * host's containers; the console protocol and the reconcile loop come with their issues.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { pino } from 'pino';
import { AppModule } from './app.module.js';
import { ConfigError, parseAgentConfig } from './config/config.js';

async function main(): Promise<void> {
  const config = parseAgentConfig(process.argv.slice(2));
  const log = pino({ level: config.logLevel, base: { app: 'berth-agent' } });
  const app = await NestFactory.create(AppModule.forConfig(config), { logger: false });
  app.enableShutdownHooks();
  const [host, port] = config.listen.split(':') as [string, string];
  await app.listen(Number(port), host);
  log.info({ listen: config.listen, stateRoot: config.stateRoot }, 'berth-agent listening');
}

main().catch((err: unknown) => {
  const msg = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`berth-agent: ${msg}\n`);
  process.exit(1);
});
