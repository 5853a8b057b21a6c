import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/errors.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import { newSecret, sha256 } from '../auth/passwords.js';
import { JoinTokensRepository } from './join-tokens.repository.js';
import type { CreatedJoinToken, JoinToken, JoinTokenRejection } from './join-tokens.types.js';

export const JOIN_TOKEN_PREFIX = 'berthjoin';

export type JoinTokensStore = Pick<JoinTokensRepository, 'create' | 'get' | 'list' | 'revoke' | 'consume'>;

/**
 * Bootstrap secrets for agents. Only the SHA-256 is stored. Implements the agents module's
 * JoinTokenStore port (`consume`).
 */
@Injectable()
export class JoinTokensService {
  constructor(@Inject(JoinTokensRepository) private readonly repo: JoinTokensStore) {}

  async create(description: string, ttlSeconds: number, maxUses: number | null, by: string, now = new Date()): Promise<CreatedJoinToken> {
    const token = newSecret(JOIN_TOKEN_PREFIX);
    const created = await this.repo.create(sha256(token), description, new Date(now.getTime() + ttlSeconds * 1000), maxUses, by);
    return { ...created, token };
  }

  async list(page: PageRequest): Promise<Page<JoinToken>> {
    return toPage(await this.repo.list(page), page.limit, (t) => t.id);
  }

  async revoke(id: string, now = new Date()): Promise<JoinToken> {
    const r = (await this.repo.revoke(id, now)) ?? (await this.repo.get(id));
    if (!r) throw notFound('join_token', id);
    return r;
  }

  consume(secret: string, now: Date): Promise<{ ok: true; tokenId: string } | { ok: false; reason: JoinTokenRejection }> {
    return this.repo.consume(sha256(secret), now);
  }
}
