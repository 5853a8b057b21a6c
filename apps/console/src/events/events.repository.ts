import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { EventFilter, EventType, FleetRecordedEvent, NewEvent } from './events.types.js';

@Injectable()
export class EventsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  /** Returns the highest id inserted (0 for none). */
  async insert(events: readonly NewEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = await this.db.prisma.event.createManyAndReturn({ data: [...events], select: { id: true } });
    return rows.reduce((m, r) => Math.max(m, Number(r.id)), 0);
  }

  /** Newest first; `before` is the id to continue below. */
  async list(filter: EventFilter, before: number | undefined, n: number): Promise<FleetRecordedEvent[]> {
    const where: Prisma.EventWhereInput = {};
    if (filter.objectKind !== undefined) where.objectKind = filter.objectKind;
    if (filter.objectId !== undefined) where.objectId = filter.objectId;
    if (filter.type !== undefined) where.type = filter.type;
    if (before !== undefined) where.id = { lt: BigInt(before) };
    const rows = await this.db.prisma.event.findMany({ where, orderBy: { id: 'desc' }, take: n });
    return rows.map((r) => ({ ...r, id: Number(r.id), type: r.type as EventType }));
  }
}
