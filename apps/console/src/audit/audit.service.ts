import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AuditRepository } from './audit.repository.js';
import type { AuditFilter, AuditRecord, NewAuditRecord } from './audit.types.js';

export type AuditStore = Pick<AuditRepository, 'insert' | 'list'>;

@Injectable()
export class AuditService {
  constructor(
    @Inject(AuditRepository) private readonly repo: AuditStore,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Never throws: a failed audit write is logged and counted, not turned into a failed request. */
  async record(r: NewAuditRecord): Promise<void> {
    try {
      await this.repo.insert(r);
      this.metrics.auditWrites.inc({ outcome: 'ok' });
    } catch (err) {
      this.metrics.auditWrites.inc({ outcome: 'error' });
      this.log.error({ err, audit: r }, 'failed to write audit record');
    }
  }

  async list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
    return toPage(await this.repo.list(filter, page), page.limit, (r) => String(r.id));
  }
}
