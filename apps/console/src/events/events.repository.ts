import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { EventFilter, EventType, FleetRecordedEvent, NewEvent } from './events.types.js';

@Injectable()
export class EventsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async insert(events: readonly NewEvent[]): Promise<void> {
    if (events.length) await this.db.prisma.event.createMany({ data: [...events] });
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
