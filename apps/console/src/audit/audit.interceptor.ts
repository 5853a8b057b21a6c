import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from '../common/http.js';
import { type Observable, catchError, mergeMap } from 'rxjs';
import { ConsoleError } from '../common/errors.js';
import { requestContext } from '../common/request-context.js';
import { AUDITED, type AuditSpec } from './audited.js';
import { AuditService } from './audit.service.js';

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Writes one audit record for every mutating request that reached a handler, successful or
 * not (requests the guard refuses never reach it).
 * Routes without @Audited are recorded as `<METHOD> <route>` so nothing escapes the log.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    // WebSocket messages have no HTTP request; the streams gateway audits exec itself.
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request>();
    if (READ.has(req.method)) return next.handle();
    const spec = this.reflector.get<AuditSpec | undefined>(AUDITED, ctx.getHandler());
    const write = async (outcome: string, result: unknown): Promise<void> => {
      const c = requestContext(req);
      const fromParam = spec?.param ? req.params[spec.param] : undefined;
      const r = result as { id?: unknown; name?: unknown } | null | undefined;
      const fromResult = typeof r?.id === 'string' ? r.id : typeof r?.name === 'string' ? r.name : undefined;
      await this.audit.record({
        actorId: c.actor?.userId ?? null,
        actorName: c.actor?.username ?? 'anonymous',
        action: spec?.action ?? `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`,
        objectKind: spec?.objectKind ?? 'unknown',
        objectId: (typeof fromParam === 'string' ? fromParam : undefined) ?? fromResult ?? null,
        requestId: c.requestId,
        details: { outcome },
      });
    };
    // Awaited, so a client that saw the response can read the record.
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        await write('ok', result);
        return result;
      }),
      catchError(async (err: unknown) => {
        await write(err instanceof ConsoleError ? err.code : 'error', undefined);
        throw err;
      }),
    );
  }
}
