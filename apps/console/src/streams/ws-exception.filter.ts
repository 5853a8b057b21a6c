import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConsoleError, HTTP_STATUS } from '../common/errors.js';
import { LOGGER } from '../common/logger.js';
import type { StreamSocket } from './socket-sender.js';

export interface WsErrorFrame {
  type: 'error';
  code: string;
  message: string;
  errors?: { path: string; message: string }[];
}

/** The one mapping of errors to what a WebSocket client sees: a frame, an HTTP status, a close code. */
export function toWsError(err: unknown): { frame: WsErrorFrame; status: number; closeCode: number } {
  if (err instanceof ConsoleError) {
    // The upgrade is refused with the HTTP status; close codes are 4000 + it.
    const status = HTTP_STATUS[err.category];
    const frame: WsErrorFrame = { type: 'error', code: err.code, message: err.message };
    if (err.errors) frame.errors = err.errors;
    return { frame, status, closeCode: 4000 + status };
  }
  return { frame: { type: 'error', code: 'internal', message: 'failed to handle stream: internal error' }, status: 500, closeCode: 4500 };
}

/**
 * The WebSocket exception filter: any error from a message handler becomes an error frame on
 * that socket (the socket stays open: the client may correct itself). Unexpected errors are
 * logged with their cause; clients see only `internal`.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Pick<Logger, 'error'>) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const client = host.switchToWs().getClient<StreamSocket>();
    const { frame, status } = toWsError(exception);
    if (status >= 500) this.log.error({ err: exception }, frame.message)
    if (client.readyState === 1) client.send(JSON.stringify(frame));
  }
}
