/**
 * Marks nodes NotReady when their last heartbeat (status report) is older than the grace
 * period, and hands the nodes it changed to the rescheduler. The store decides atomically
 * which nodes change, so several console replicas may run this loop.
 */
import { errorMessage } from '../common/errors.js';
import type { AgentsLogger } from './logger.js';
import type { NodeStore, Rescheduler } from './ports.js';

export interface HeartbeatMonitorOptions {
  /** Missing heartbeats for this long makes a node NotReady (default 40 s). */
  graceMs: number;
  /** How often to check (default graceMs / 4). */
  checkEveryMs?: number;
  now?: () => Date;
}

export class HeartbeatMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<string[]> | undefined;

  constructor(
    private readonly nodes: NodeStore,
    private readonly rescheduler: Rescheduler,
    private readonly log: AgentsLogger,
    private readonly opts: HeartbeatMonitorOptions,
  ) {}

  start(): void {
    const every = this.opts.checkEveryMs ?? Math.max(250, Math.floor(this.opts.graceMs / 4));
    this.timer = setInterval(() => void this.checkOnce(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the ids of nodes it marked NotReady. Overlapping calls share a pass. */
  checkOnce(): Promise<string[]> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<string[]> {
    const now = (this.opts.now ?? (() => new Date()))();
    let lost: string[];
    try {
      lost = await this.nodes.markNotReady(new Date(now.getTime() - this.opts.graceMs));
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'failed to check node heartbeats');
      return [];
    }
    if (lost.length === 0) return lost;
    this.log.warn({ nodes: lost, graceMs: this.opts.graceMs }, 'nodes missed their heartbeats: NotReady');
    try {
      await this.rescheduler.nodesLost(lost);
    } catch (err) {
      this.log.error({ nodes: lost, err: errorMessage(err) }, 'failed to reschedule replicas of lost nodes');
    }
    return lost;
  }
}
