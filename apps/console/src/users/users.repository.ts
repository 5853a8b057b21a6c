import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { User as Row } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { alreadyExists } from '../common/errors.js';
import type { PageRequest } from '../common/pagination.js';
import type { Role } from '../auth/roles.js';
import type { User, UserPatch, UserWithHash } from './users.types.js';

export function toUser(r: Row): UserWithHash {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    disabled: r.disabled,
    revision: Number(r.revision),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    passwordHash: r.passwordHash,
  };
}

export function withoutHash(u: UserWithHash): User {
  const { passwordHash: _h, ...rest } = u;
  return rest;
}

@Injectable()
export class UsersRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async create(username: string, passwordHash: string, role: Role): Promise<UserWithHash> {
    try {
      return toUser(await this.db.prisma.user.create({ data: { username, passwordHash, role } }));
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('user', username, err);
      throw err;
    }
  }

  async findByName(username: string): Promise<UserWithHash | undefined> {
    const r = await this.db.prisma.user.findUnique({ where: { username } });
    return r ? toUser(r) : undefined;
  }

  async findById(id: string): Promise<UserWithHash | undefined> {
    const r = await this.db.prisma.user.findUnique({ where: { id } });
    return r ? toUser(r) : undefined;
  }

  async list(page: PageRequest): Promise<UserWithHash[]> {
    const rows = await this.db.prisma.user.findMany({
      where: page.after === undefined ? {} : { username: { gt: page.after } },
      orderBy: { username: 'asc' },
      take: page.limit + 1,
    });
    return rows.map(toUser);
  }

  async countEnabledAdmins(): Promise<number> {
    return this.db.prisma.user.count({ where: { role: 'admin', disabled: false } });
  }

  /** Applies the patch only if the row still has `revision`; undefined when it does not. */
  async updateIfRevision(username: string, revision: number, patch: UserPatch): Promise<UserWithHash | undefined> {
    const n = await this.db.prisma.user.updateMany({ where: { username, revision: BigInt(revision) }, data: patch });
    if (n.count === 0) return undefined;
    return this.findByName(username);
  }

  async delete(username: string): Promise<boolean> {
    const n = await this.db.prisma.user.deleteMany({ where: { username } });
    return n.count > 0;
  }
}
