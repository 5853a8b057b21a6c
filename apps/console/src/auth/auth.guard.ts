import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from '../common/http.js';
import { requestContext } from '../common/request-context.js';
import { authError } from './auth.errors.js';
import { AuthService, SESSION_COOKIE, readCookie } from './auth.service.js';
import { PUBLIC_ROUTE, REQUIRE_ROLE, roleAllows, type Role } from './roles.js';

/**
 * Global guard: every route needs a caller unless marked @Public(). A bearer token wins over
 * the session cookie. A credential that is present but bad is refused even on routes where
 * it would not be needed, so clients learn their token is broken.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true;
    if (isPublic) return true;

    const c = requestContext(req);
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      if (!m?.[1]) throw authError.invalidToken();
      c.actor = await this.auth.authenticateToken(m[1]);
    } else {
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (cookie === undefined) throw authError.unauthenticated();
      c.actor = await this.auth.authenticateSession(cookie);
    }

    // Handler decorator wins; a class decorator sets the role for its mutations; reads need viewer.
    const onHandler = this.reflector.get<Role | undefined>(REQUIRE_ROLE, ctx.getHandler());
    const onClass = this.reflector.get<Role | undefined>(REQUIRE_ROLE, ctx.getClass());
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const need: Role = onHandler ?? (isRead ? 'viewer' : (onClass ?? 'admin'));
    if (!roleAllows(c.actor.role, need)) throw authError.permissionDenied(c.actor.role, need, `${req.method} ${req.path}`);
    return true;
  }
}
