import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/errors.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import { newSecret, sha256 } from '../auth/passwords.js';
import { TOKEN_PREFIX } from '../auth/auth.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { TokensRepository } from './tokens.repository.js';
import type { ApiToken, CreatedApiToken } from './tokens.types.js';

export type TokensStore = Pick<TokensRepository, 'create' | 'list' | 'get' | 'revoke'>;

@Injectable()
export class TokensService {
  constructor(
    @Inject(TokensRepository) private readonly repo: TokensStore,
    @Inject(UsersRepository) private readonly users: Pick<UsersRepository, 'findByName'>,
  ) {}

  async create(username: string, name: string, expiresInSeconds: number | undefined, now = new Date()): Promise<CreatedApiToken> {
    const user = await this.users.findByName(username);
    if (!user) throw notFound('user', username);
    const token = newSecret(TOKEN_PREFIX);
    const expiresAt = expiresInSeconds === undefined ? null : new Date(now.getTime() + expiresInSeconds * 1000);
    const created = await this.repo.create(user.id, name, sha256(token), expiresAt);
    return { ...created, token };
  }

  async list(username: string | undefined, page: PageRequest): Promise<Page<ApiToken>> {
    let userId: string | undefined;
    if (username !== undefined) {
      const u = await this.users.findByName(username);
      if (!u) throw notFound('user', username);
      userId = u.id;
    }
    return toPage(await this.repo.list(userId, page), page.limit, (t) => t.id);
  }

  async revoke(id: string, now = new Date()): Promise<ApiToken> {
    const r = await this.repo.revoke(id, now);
    if (r) return r;
    const cur = await this.repo.get(id);
    if (!cur) throw notFound('token', id);
    return cur; // already revoked: idempotent
  }
}
