import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { alreadyExists } from '../common/errors.js';
import type { PageRequest } from '../common/pagination.js';
import type { ApiToken as Row, User as UserRow } from '../generated/prisma/client.js';
import { toUser } from '../users/users.repository.js';
import type { UserWithHash } from '../users/users.types.js';
import type { Role } from '../auth/roles.js';
import type { ApiToken } from './tokens.types.js';

function toToken(r: Row & { user: UserRow }): ApiToken {
  return {
    id: r.id,
    userId: r.userId,
    username: r.user.username,
    name: r.name,
    role: r.role,
    expiresAt: r.expiresAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
    revision: Number(r.revision),
    createdAt: r.createdAt,
  };
}

@Injectable()
export class TokensRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async create(userId: string, name: string, role: Role, tokenHash: string, expiresAt: Date | null): Promise<ApiToken> {
    try {
      return toToken(await this.db.prisma.apiToken.create({ data: { userId, name, role, tokenHash, expiresAt }, include: { user: true } }));
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('token', name, err);
      throw err;
    }
  }

  async findByHash(tokenHash: string): Promise<{ token: ApiToken; user: UserWithHash } | undefined> {
    const r = await this.db.prisma.apiToken.findUnique({ where: { tokenHash }, include: { user: true } });
    return r ? { token: toToken(r), user: toUser(r.user) } : undefined;
  }

  async get(id: string): Promise<ApiToken | undefined> {
    const r = await this.db.prisma.apiToken.findUnique({ where: { id }, include: { user: true } });
    return r ? toToken(r) : undefined;
  }

  /** In id order (ids are random: a stable order, not creation time); cursor is the last id. */
  async list(userId: string | undefined, page: PageRequest): Promise<ApiToken[]> {
    const rows = await this.db.prisma.apiToken.findMany({
      where: { ...(userId ? { userId } : {}), ...(page.after ? { id: { gt: page.after } } : {}) },
      orderBy: { id: 'asc' },
      take: page.limit + 1,
      include: { user: true },
    });
    return rows.map(toToken);
  }

  async revoke(id: string, at: Date): Promise<ApiToken | undefined> {
    const n = await this.db.prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return n.count === 0 ? undefined : this.get(id);
  }

  /** Best effort, coarse (once a minute per token) so auth does not write on every request. */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.prisma.apiToken.updateMany({ where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - 60_000) } }] }, data: { lastUsedAt: at } });
  }
}
