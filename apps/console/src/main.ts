#!/usr/bin/env node
import { createLogger } from './common/logger.js';
import { ConsoleError } from './common/errors.js';
import { USAGE, loadConfig } from './config/config.js';
import { createApp } from './app.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    process.stderr.write(`berth-console: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  const app = await createApp(config, log, {
    onInitialAdminPassword: (pw) => {
      process.stdout.write(`berth-console: created user "admin" with password ${pw}\n(shown once; set BERTH_ADMIN_PASSWORD to choose it)\n`);
    },
  });
  await app.listen(config.listen.port, config.listen.host);
  log.info({ url: await app.getUrl(), dataDir: config.dataDir, grpc: config.grpcListen }, 'berth-console listening');
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    const msg = err instanceof ConsoleError ? err.message : `failed to start berth-console: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`berth-console: ${msg}\n`);
    process.exit(1);
  },
);
