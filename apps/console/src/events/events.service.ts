import { Inject, Injectable } from '@nestjs/common';
import { numericAfter, toPage, type Page, type PageRequest } from '../common/pagination.js';
import { FleetEvents } from '../fleet/fleet-events.js';
import { EventsRepository } from './events.repository.js';
import type { EventFilter, FleetRecordedEvent, NewEvent } from './events.types.js';

/** Records what happened to objects (scheduling failures, NotReady nodes, OOM kills) and lists it. */
@Injectable()
export class EventsService {
  constructor(
    @Inject(EventsRepository) private readonly repo: Pick<EventsRepository, 'insert' | 'list'>,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'publish'>,
  ) {}

  /** Inserts, then announces the new events (event watchers on every replica read them at once). */
  async record(...events: NewEvent[]): Promise<void> {
    const last = await this.repo.insert(events);
    if (last > 0) await this.fleet.publish([{ kind: 'event', id: String(last), revision: last }]);
  }

  async list(filter: EventFilter, page: PageRequest): Promise<Page<FleetRecordedEvent>> {
    const rows = await this.repo.list(filter, numericAfter(page), page.limit + 1);
    return toPage(rows, page.limit, (e) => String(e.id));
  }
}
