import { pino, type Logger } from 'pino';

/** Injection token for the app's pino logger. */
export const LOGGER = Symbol.for('berth.console.logger');

export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'berth-console' } });
}
