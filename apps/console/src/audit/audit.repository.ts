import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import { numericAfter, type PageRequest } from '../common/pagination.js';
import type { AuditFilter, AuditRecord, NewAuditRecord } from './audit.types.js';
import type { Prisma } from '../generated/prisma/client.js';

@Injectable()
export class AuditRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async insert(r: NewAuditRecord): Promise<void> {
    await this.db.prisma.auditLog.create({
      data: { ...r, details: r.details === null ? undefined : (r.details as Prisma.InputJsonObject) },
    });
  }

  /** Newest first; the cursor is the last id seen. */
  async list(filter: AuditFilter, page: PageRequest): Promise<AuditRecord[]> {
    const where: Prisma.AuditLogWhereInput = {};
    if (filter.actorName !== undefined) where.actorName = filter.actorName;
    if (filter.objectKind !== undefined) where.objectKind = filter.objectKind;
    if (filter.objectId !== undefined) where.objectId = filter.objectId;
    if (filter.action !== undefined) where.action = filter.action;
    const after = numericAfter(page);
    if (after !== undefined) where.id = { lt: BigInt(after) };
    const rows = await this.db.prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, take: page.limit + 1 });
    return rows.map((r) => ({ ...r, id: Number(r.id), details: (r.details ?? null) as Record<string, unknown> | null }));
  }
}
