import { Inject, Injectable } from '@nestjs/common';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/config.js';
import type { Actor } from '../common/request-context.js';
import { TokensRepository } from '../tokens/tokens.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { withoutHash } from '../users/users.repository.js';
import type { User } from '../users/users.types.js';
import { authError } from './auth.errors.js';
import { newSecret, sha256, verifyPassword } from './passwords.js';
import { roleAllows } from './roles.js';
import { SessionsRepository } from './sessions.repository.js';

export const SESSION_COOKIE = 'berth_session';
export const TOKEN_PREFIX = 'berth';
export const SESSION_PREFIX = 'berths';

// A fixed hash to verify against when the user does not exist, so timing does not tell.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');

export type SessionsStore = Pick<SessionsRepository, 'create' | 'findByHash' | 'deleteByHash'>;
export type TokenLookup = Pick<TokensRepository, 'findByHash' | 'touch'>;
export type UserLookup = Pick<UsersRepository, 'findByName'>;

@Injectable()
export class AuthService {
  constructor(
    @Inject(UsersRepository) private readonly users: UserLookup,
    @Inject(SessionsRepository) private readonly sessions: SessionsStore,
    @Inject(TokensRepository) private readonly tokens: TokenLookup,
    @Inject(CONSOLE_CONFIG) private readonly config: Pick<ConsoleConfig, 'sessionTtlSeconds'>,
  ) {}

  /** Verifies the password and opens a session; the returned secret goes into the cookie. */
  async login(username: string, password: string, now = new Date()): Promise<{ user: User; secret: string; expiresAt: Date }> {
    const u = await this.users.findByName(username);
    const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
    if (!u || !ok) throw authError.invalidCredentials();
    if (u.disabled) throw authError.userDisabled(u.username);
    const secret = newSecret(SESSION_PREFIX);
    const expiresAt = new Date(now.getTime() + this.config.sessionTtlSeconds * 1000);
    await this.sessions.create(u.id, sha256(secret), expiresAt);
    return { user: withoutHash(u), secret, expiresAt };
  }

  async logout(sessionSecret: string): Promise<void> {
    await this.sessions.deleteByHash(sha256(sessionSecret));
  }

  /** Resolves a bearer API token to its actor, or throws 401 with a precise code. */
  async authenticateToken(secret: string, now = new Date()): Promise<Actor> {
    const found = await this.tokens.findByHash(sha256(secret));
    if (!found) throw authError.invalidToken();
    if (found.token.revokedAt) throw authError.tokenRevoked();
    if (found.token.expiresAt && found.token.expiresAt <= now) throw authError.tokenExpired();
    if (found.user.disabled) throw authError.userDisabled(found.user.username);
    await this.tokens.touch(found.token.id, now).catch(() => undefined);
    // The lower of the token's role and its owner's current one: demoting a user demotes its tokens.
    const role = roleAllows(found.token.role, found.user.role) ? found.user.role : found.token.role;
    return { userId: found.user.id, username: found.user.username, role, via: 'token', tokenId: found.token.id };
  }

  async authenticateSession(secret: string, now = new Date()): Promise<Actor> {
    const found = await this.sessions.findByHash(sha256(secret));
    if (!found) throw authError.invalidToken();
    if (found.session.expiresAt <= now) {
      await this.sessions.deleteByHash(sha256(secret)).catch(() => undefined);
      throw authError.sessionExpired();
    }
    if (found.user.disabled) throw authError.userDisabled(found.user.username);
    return { userId: found.user.id, username: found.user.username, role: found.user.role, via: 'session' };
  }
}

/** The value of one cookie from a Cookie header (RFC 6265 section 5.4 syntax). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
