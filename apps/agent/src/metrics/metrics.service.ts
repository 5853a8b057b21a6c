import { Inject, Injectable } from '@nestjs/common';
import { Registry, Gauge, Counter } from 'prom-client';
import type { Runtime } from '@berth/runtime';
import { RUNTIME } from '../runtime/runtime.module.js';

/**
 * The agent's Prometheus registry. Container states are read from the runtime at scrape time
 * (a scrape is the relist), so the numbers are never stale.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {
    // The standard process_* metrics, collected at scrape time. (prom-client's default set also
    // exports gauges named *_total, which promtool rejects.)
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Counter({
      name: 'process_cpu_seconds_total',
      help: 'Total user and system CPU time spent in seconds.',
      registers: [this.registry],
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [this.registry] }).set(
      Math.round(Date.now() / 1000 - process.uptime()),
    );
    const info = new Gauge({ name: 'berth_agent_info', help: 'Agent build information.', labelNames: ['version'], registers: [this.registry] });
    info.set({ version: '0.1.0' }, 1);
    const rt = this.runtime;
    new Gauge({
      name: 'berth_agent_containers',
      help: 'Containers known to the runtime on this host, by OCI status.',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts: Record<string, number> = { creating: 0, created: 0, running: 0, paused: 0, stopped: 0 };
        for (const c of await rt.list()) counts[c.status] = (counts[c.status] ?? 0) + 1;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }
}
