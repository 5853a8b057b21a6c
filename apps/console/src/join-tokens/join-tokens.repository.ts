import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { JoinToken as Row } from '../generated/prisma/client.js';
import type { PageRequest } from '../common/pagination.js';
import type { JoinToken, JoinTokenRejection } from './join-tokens.types.js';

function toJoinToken(r: Row): JoinToken {
  return {
    id: r.id,
    description: r.description,
    expiresAt: r.expiresAt,
    maxUses: r.maxUses,
    usedCount: r.usedCount,
    revokedAt: r.revokedAt,
    createdBy: r.createdBy,
    revision: Number(r.revision),
    createdAt: r.createdAt,
  };
}

@Injectable()
export class JoinTokensRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async create(tokenHash: string, description: string, expiresAt: Date, maxUses: number | null, createdBy: string): Promise<JoinToken> {
    return toJoinToken(await this.db.prisma.joinToken.create({ data: { tokenHash, description, expiresAt, maxUses, createdBy } }));
  }

  async get(id: string): Promise<JoinToken | undefined> {
    const r = await this.db.prisma.joinToken.findUnique({ where: { id } });
    return r ? toJoinToken(r) : undefined;
  }

  async list(page: PageRequest): Promise<JoinToken[]> {
    const rows = await this.db.prisma.joinToken.findMany({ where: page.after ? { id: { gt: page.after } } : {}, orderBy: { id: 'asc' }, take: page.limit + 1 });
    return rows.map(toJoinToken);
  }

  async revoke(id: string, at: Date): Promise<JoinToken | undefined> {
    const n = await this.db.prisma.joinToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return n.count === 0 ? undefined : this.get(id);
  }

  /**
   * Counts one use of the token with this hash if it is usable, atomically (a single
   * conditional UPDATE, so two agents cannot both take the last use); otherwise says why not.
   */
  async consume(tokenHash: string, now: Date): Promise<{ ok: true; tokenId: string } | { ok: false; reason: JoinTokenRejection }> {
    const rows = await this.db.sql.query<{ id: string }>(
      `UPDATE "join_tokens" SET "used_count" = "used_count" + 1
        WHERE "token_hash" = $1 AND "revoked_at" IS NULL AND "expires_at" > $2
          AND ("max_uses" IS NULL OR "used_count" < "max_uses")
        RETURNING "id"`,
      [tokenHash, now.toISOString()],
    );
    const hit = rows[0];
    if (hit) return { ok: true, tokenId: hit.id };
    const r = await this.db.prisma.joinToken.findUnique({ where: { tokenHash } });
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.revokedAt) return { ok: false, reason: 'revoked' };
    if (r.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'exhausted' };
  }
}
