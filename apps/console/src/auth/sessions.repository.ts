import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { toUser } from '../users/users.repository.js';
import type { UserWithHash } from '../users/users.types.js';

export interface Session {
  id: string;
  userId: string;
  expiresAt: Date;
}

@Injectable()
export class SessionsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async create(userId: string, tokenHash: string, expiresAt: Date): Promise<Session> {
    const r = await this.db.prisma.session.create({ data: { userId, tokenHash, expiresAt } });
    return { id: r.id, userId: r.userId, expiresAt: r.expiresAt };
  }

  async findByHash(tokenHash: string): Promise<{ session: Session; user: UserWithHash } | undefined> {
    const r = await this.db.prisma.session.findUnique({ where: { tokenHash }, include: { user: true } });
    return r ? { session: { id: r.id, userId: r.userId, expiresAt: r.expiresAt }, user: toUser(r.user) } : undefined;
  }

  async deleteByHash(tokenHash: string): Promise<void> {
    await this.db.prisma.session.deleteMany({ where: { tokenHash } });
  }

  async deleteExpired(now: Date): Promise<number> {
    return (await this.db.prisma.session.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  }
}
