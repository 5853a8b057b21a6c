import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from './http.js';
import type { Logger } from 'pino';
import { ConsoleError, HTTP_STATUS } from './errors.js';
import { requestContext } from './request-context.js';
import { LOGGER } from './logger.js';

export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/** The one HTTP filter: ConsoleError category -> status; everything else normalized. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { status, body } = this.toBody(exception, requestContext(req).requestId);
    if (status >= 500) this.log.error({ err: exception, requestId: body.requestId, path: req.path }, body.message);
    if (res.headersSent) return;
    res.status(status).json(body);
  }

  toBody(exception: unknown, requestId: string): { status: number; body: ErrorBody } {
    if (exception instanceof ConsoleError) {
      const body: ErrorBody = { code: exception.code, message: exception.message, requestId };
      if (exception.errors) body.errors = exception.errors;
      return { status: HTTP_STATUS[exception.category], body };
    }
    // body-parser: malformed JSON, too large, wrong charset (Nest wraps them with the original as cause).
    const e = (exception instanceof HttpException && exception.cause ? exception.cause : exception) as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      return { status: 400, body: { code: 'malformed_json', message: `failed to parse request body: ${e.message ?? 'invalid JSON'}`, requestId, errors: [{ path: '', message: 'malformed JSON' }] } };
    }
    if (e?.type === 'entity.too.large') {
      return { status: 413, body: { code: 'body_too_large', message: 'failed to read request body: it is too large', requestId } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = status === 404 ? 'route_not_found' : status === 405 ? 'method_not_allowed' : `http_${status}`;
      return { status, body: { code, message: exception.message, requestId } };
    }
    return { status: 500, body: { code: 'internal', message: 'failed to handle request: internal error', requestId } };
  }
}
