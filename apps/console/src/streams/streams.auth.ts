import type { IncomingMessage } from 'node:http';
import type { Actor } from '../common/request-context.js';
import { authError } from '../auth/auth.errors.js';
import { SESSION_COOKIE, readCookie, type AuthService } from '../auth/auth.service.js';
import { roleAllows, type Role } from '../auth/roles.js';

/**
 * Authenticates a WebSocket upgrade with the same rules as REST (auth.guard.ts): a bearer
 * token wins over the session cookie; a present but bad credential is refused; then the role.
 */
export async function authenticateUpgrade(auth: Pick<AuthService, 'authenticateToken' | 'authenticateSession'>, req: IncomingMessage, need: Role, what: string): Promise<Actor> {
  const authz = req.headers.authorization;
  let actor: Actor;
  if (authz !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(authz);
    if (!m?.[1]) throw authError.invalidToken();
    actor = await auth.authenticateToken(m[1]);
  } else {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie === undefined) throw authError.unauthenticated();
    actor = await auth.authenticateSession(cookie);
  }
  if (!roleAllows(actor.role, need)) throw authError.permissionDenied(actor.role, need, what);
  return actor;
}
