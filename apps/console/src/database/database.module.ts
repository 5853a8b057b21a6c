import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.js';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/config.js';
import { DatabaseService } from './database.service.js';

/** Opens the database and applies pending migrations before anything else starts. */
@Global()
@Module({
  providers: [
    {
      provide: DatabaseService,
      inject: [CONSOLE_CONFIG, LOGGER],
      useFactory: async (config: ConsoleConfig, log: Logger): Promise<DatabaseService> => {
        const db = await DatabaseService.open({ dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
        try {
          const r = await db.migrate();
          log.info({ applied: r.applied, database: db.kind }, r.applied.length ? 'applied migrations' : 'database schema is current');
        } catch (err) {
          await db.close().catch(() => undefined);
          throw err;
        }
        return db;
      },
    },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
