import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from './http.js';
import type { Role } from '../auth/roles.js';

/** Who is calling; set by the auth guard. */
export interface Actor {
  userId: string;
  username: string;
  role: Role;
  /** How the caller authenticated. */
  via: 'session' | 'token';
  tokenId?: string;
}

/** Per-request state the console attaches to express's Request. */
export interface RequestContext {
  requestId: string;
  actor?: Actor;
}

export type BerthRequest = Request & { berth?: RequestContext };

export function requestContext(req: Request): RequestContext {
  const r = req as BerthRequest;
  r.berth ??= { requestId: String(req.headers['x-request-id'] ?? '') };
  return r.berth;
}

/** Controller parameter: the authenticated actor plus the request id, for audit and history. */
export interface Caller {
  actor: Actor;
  requestId: string;
}

export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Caller => {
  const ctxt = requestContext(ctx.switchToHttp().getRequest<Request>());
  if (!ctxt.actor) throw new Error('CurrentCaller used on a route without authentication');
  return { actor: ctxt.actor, requestId: ctxt.requestId };
});
