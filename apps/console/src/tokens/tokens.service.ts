import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/errors.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import type { Actor } from '../common/request-context.js';
import { newSecret, sha256 } from '../auth/passwords.js';
import { TOKEN_PREFIX } from '../auth/auth.service.js';
import { roleAllows } from '../auth/roles.js';
import { UsersRepository } from '../users/users.repository.js';
import { tokenError } from './tokens.errors.js';
import { TokensRepository } from './tokens.repository.js';
import type { ApiToken, CreatedApiToken, NewApiToken } from './tokens.types.js';

export type TokensStore = Pick<TokensRepository, 'create' | 'list' | 'get' | 'revoke'>;
export type TokenOwners = Pick<UsersRepository, 'findByName'>;

/**
 * API tokens, self-service: every user creates, lists and revokes its own; admins see and
 * revoke everyone's and may create tokens for other users. A token carries at most the role
 * of whoever creates it (a token creating tokens counts with its own role) and at most its
 * owner's role. Other users' tokens are reported as not found to non-admins, so ids do not
 * leak.
 */
@Injectable()
export class TokensService {
  constructor(
    @Inject(TokensRepository) private readonly repo: TokensStore,
    @Inject(UsersRepository) private readonly users: TokenOwners,
  ) {}

  async create(caller: Actor, input: NewApiToken, now = new Date()): Promise<CreatedApiToken> {
    const ownerName = input.username ?? caller.username;
    if (ownerName !== caller.username && caller.role !== 'admin') throw tokenError.otherUser(caller.role, `create token for user ${JSON.stringify(ownerName)}`);
    const owner = await this.users.findByName(ownerName);
    if (!owner) throw notFound('user', ownerName);
    const role = input.role ?? (roleAllows(caller.role, owner.role) ? owner.role : caller.role);
    if (!roleAllows(caller.role, role)) throw tokenError.roleTooHigh(caller.role, role);
    if (!roleAllows(owner.role, role)) throw tokenError.roleAboveOwner(owner.username, owner.role, role);
    const token = newSecret(TOKEN_PREFIX);
    const expiresAt = input.expiresInSeconds === undefined ? null : new Date(now.getTime() + input.expiresInSeconds * 1000);
    const created = await this.repo.create(owner.id, input.name, role, sha256(token), expiresAt);
    return { ...created, token };
  }

  /** Admins: all tokens, or one user's with `username`. Everyone else: their own only. */
  async list(caller: Actor, username: string | undefined, page: PageRequest): Promise<Page<ApiToken>> {
    let userId: string | undefined = caller.userId;
    if (caller.role === 'admin') {
      userId = undefined;
      if (username !== undefined) {
        const u = await this.users.findByName(username);
        if (!u) throw notFound('user', username);
        userId = u.id;
      }
    } else if (username !== undefined && username !== caller.username) {
      throw tokenError.otherUser(caller.role, `list tokens of user ${JSON.stringify(username)}`);
    }
    return toPage(await this.repo.list(userId, page), page.limit, (t) => t.id);
  }

  /** Idempotent: revoking a revoked token returns it unchanged. */
  async revoke(caller: Actor, id: string, now = new Date()): Promise<ApiToken> {
    const cur = await this.repo.get(id);
    if (!cur || (cur.userId !== caller.userId && caller.role !== 'admin')) throw notFound('token', id);
    return (await this.repo.revoke(id, now)) ?? (await this.repo.get(id)) ?? cur;
  }
}
