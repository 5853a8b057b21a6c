import type { Logger } from 'pino';
import { ConsoleError } from '../common/errors.js';
import type { Page, PageRequest } from '../common/pagination.js';
import type { EventFilter, FleetRecordedEvent } from '../events/index.js';

/** Where recorded events come from: EventsService.list (newest first, `after` = the id to continue below). */
export interface RecordedEventSource {
  list(filter: EventFilter, page: PageRequest): Promise<Page<FleetRecordedEvent>>;
}

/** One watcher: events with id > `after` (absent: recorded from now on) that match `filter`. */
export interface EventWatcher {
  after?: number;
  filter: EventFilter;
  /** Returns false once the watcher's socket is gone. */
  send(event: FleetRecordedEvent): boolean;
  fail(err: unknown): void;
}

export interface EventTailOptions {
  /** How often the table is read while someone watches. */
  intervalMs: number;
  /** A watcher resuming further back than this many events is refused (list them over REST instead). */
  maxBacklog: number;
}

interface Sub {
  w: EventWatcher;
  /** Highest id delivered (or skipped as before the start); -1 until the backlog is sent. */
  sent: number;
}

const PAGE = 500;

export function matches(f: EventFilter, e: FleetRecordedEvent): boolean {
  return (f.objectKind === undefined || f.objectKind === e.objectKind) && (f.objectId === undefined || f.objectId === e.objectId) && (f.type === undefined || f.type === e.type);
}

/**
 * Follows the events table for WebSocket watchers, like `kubectl get events -w`: a watcher
 * gives the last id it saw and gets every later matching event exactly once, in id order,
 * first the backlog, then new ones as they are read.
 *
 * Why a tail and not a push: events are recorded by EventsService (events/) with no
 * notification, possibly by another console replica, so the shared table is the one source
 * that sees them all. One read per interval serves every watcher of this console, and only
 * while there is at least one. All reads and sends happen in one serialized loop, so a
 * watcher joining mid-read can neither miss nor repeat an event.
 * Ids are assigned at insert; two transactions committing out of id order could hide the
 * lower id from a tail that already passed it. Inserts here are single statements (createMany)
 * without surrounding transactions, which keeps that window to concurrent inserts.
 */
export class EventTail {
  private readonly subs = new Set<Sub>();
  private readonly pending = new Set<Sub>();
  /** Highest id read from the table; undefined until the first read. */
  private last: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly unwake: (() => void) | undefined;

  constructor(
    private readonly source: RecordedEventSource,
    private readonly log: Pick<Logger, 'warn' | 'error'>,
    private readonly opts: EventTailOptions = { intervalMs: 500, maxBacklog: 10_000 },
    /** Subscribes `kick` to "events were recorded" notices; returns the unsubscribe. */
    wake?: (kick: () => void) => () => void,
  ) {
    this.unwake = wake?.(() => this.kick());
  }

  /** Watchers connected (tests, metrics). */
  get size(): number {
    return this.subs.size + this.pending.size;
  }

  /** Starts delivering to `w`; returns the function that stops it. */
  watch(w: EventWatcher): () => void {
    const sub: Sub = { w, sent: -1 };
    this.pending.add(sub);
    this.kick();
    return () => {
      this.pending.delete(sub);
      this.subs.delete(sub);
      if (this.size === 0) this.idle();
    };
  }

  /** Reads now instead of at the next interval (e.g. after an event was recorded here). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0).unref();
  }

  stop(): void {
    this.unwake?.();
    this.stopped = true;
    this.idle();
    for (const s of [...this.subs, ...this.pending]) s.w.fail(new ConsoleError('console_stopping', 'unavailable', 'failed to watch events: the console is shutting down'));
    this.subs.clear();
    this.pending.clear();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private idle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Forget the position: with nobody watching, the next watcher starts from a fresh read.
    if (!this.running) this.last = undefined;
  }

  private async loop(): Promise<void> {
    this.timer = undefined;
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      do {
        this.again = false;
        await this.tick();
      } while (this.again && !this.stopped && this.size > 0);
    } finally {
      this.running = false;
    }
    if (this.size === 0) this.last = undefined;
    else if (!this.stopped) this.timer = setTimeout(() => void this.loop(), this.opts.intervalMs).unref();
  }

  private async tick(): Promise<void> {
    let fresh: FleetRecordedEvent[];
    const before = this.last;
    try {
      fresh = await this.since({}, before, Number.POSITIVE_INFINITY);
    } catch (err) {
      this.log.warn({ err }, 'failed to read recorded events for watchers; retrying');
      return;
    }
    const upTo = before ?? fresh[fresh.length - 1]?.id ?? 0;
    // On the first read there is no "before": everything read is history, not news.
    const news = before === undefined ? [] : fresh;
    if (fresh.length > 0) this.last = fresh[fresh.length - 1]!.id;
    else if (this.last === undefined) this.last = upTo;
    for (const sub of [...this.pending]) {
      this.pending.delete(sub);
      const after = sub.w.after ?? upTo;
      if (after >= upTo) {
        sub.sent = after;
      } else {
        try {
          const backlog = await this.since(sub.w.filter, after, this.opts.maxBacklog, upTo);
          sub.sent = after;
          if (!this.deliver(sub, backlog)) continue;
        } catch (err) {
          sub.w.fail(err);
          continue;
        }
      }
      if (this.stopped) return;
      this.subs.add(sub);
    }
    for (const sub of [...this.subs]) if (!this.deliver(sub, news)) this.subs.delete(sub);
  }

  /** Sends the matching events above the watcher's position; false when its socket is gone. */
  private deliver(sub: Sub, events: readonly FleetRecordedEvent[]): boolean {
    for (const e of events) {
      if (e.id <= sub.sent || !matches(sub.w.filter, e)) continue;
      if (!sub.w.send(e)) return false;
      sub.sent = e.id;
    }
    return true;
  }

  /**
   * Events with `after` < id <= `upTo` (every event above `after` when `after` is undefined:
   * then only the newest one, to learn the position), oldest first.
   */
  private async since(filter: EventFilter, after: number | undefined, max: number, upTo?: number): Promise<FleetRecordedEvent[]> {
    const out: FleetRecordedEvent[] = [];
    let cursor = upTo === undefined ? undefined : String(upTo + 1);
    for (;;) {
      const page = await this.source.list(filter, { limit: after === undefined ? 1 : PAGE, ...(cursor === undefined ? {} : { after: cursor }) });
      for (const e of page.items) {
        if (after !== undefined && e.id <= after) return out.reverse();
        if (out.length >= max) {
          throw new ConsoleError('resume_too_old', 'failed_precondition', `failed to resume events after id ${after}: more than ${max} events were recorded since; list them with GET /api/v1/events and watch from the newest`);
        }
        out.push(e);
      }
      if (after === undefined || page.nextCursor === undefined || page.items.length === 0) return out.reverse();
      cursor = String(page.items[page.items.length - 1]!.id);
    }
  }
}
