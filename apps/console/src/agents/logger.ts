/** The logging the agents domain needs; pino loggers satisfy it. */
export interface AgentsLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export const silentLogger: AgentsLogger = { info: () => {}, warn: () => {}, error: () => {} };
