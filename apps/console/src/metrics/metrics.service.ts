import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The console's Prometheus registry. Other modules (agents, scheduler) inject this and
 * update the instruments here rather than registering their own, so /metrics is one registry.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'berth_console_http_request_duration_seconds',
    help: 'REST request latency by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** Set by the agents module: agents with an open Watch stream on this replica. */
  readonly connectedAgents = new Gauge({
    name: 'berth_console_connected_agents',
    help: 'Agents currently connected to this console replica.',
    registers: [this.registry],
  });

  /** Observed by the agents module: commit of a change -> sent to the agent's Watch stream. */
  readonly watchFanoutLag = new Histogram({
    name: 'berth_console_watch_fanout_lag_seconds',
    help: 'Time from a committed assignment change to its delivery on an agent Watch stream.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  readonly auditWrites = new Counter({
    name: 'berth_console_audit_records_total',
    help: 'Audit log records written, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_console_' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
