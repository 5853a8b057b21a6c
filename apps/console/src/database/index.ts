export { DatabaseModule } from './database.module.js';
export { DatabaseService, type DatabaseOptions } from './database.service.js';
export type { SqlClient, SqlTx } from './sql.js';
