import { stringify } from 'yaml';
import { bool, expectPositionals, int, str } from '../args.js';
import type { ApiClient, Page } from '../client.js';
import { ApiError, UsageError, errorMessage } from '../errors.js';
import { formatAge, formatOutput, renderTable } from '../output.js';
import type { FleetEvent } from '../types.js';
import { apiClient, seg, type Command, type Context } from './context.js';
import { authHeaders, stream, StreamConnectionError, StreamFrameError } from './streams.js';

/** The REST list's filters; the watch socket takes the same names. */
export type EventFilter = Record<'kind' | 'object' | 'type', string | undefined>;

/** `workload/<id>` -> the workload's name (and the same for nodes), for the table; ids of deleted objects stay ids. */
async function objectNames(client: ApiClient, events: readonly FleetEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const [kind, path] of [['workload', '/api/v1/workloads'], ['node', '/api/v1/nodes']] as const) {
    if (!events.some((e) => e.objectKind === kind)) continue;
    for (const o of await client.listAll<{ id: string; name: string }>(path)) names.set(`${kind}/${o.id}`, o.name);
  }
  return names;
}

/** `--for KIND/NAME` as a kind + object id filter: workloads and nodes by name, other kinds by id. */
async function forObject(client: ApiClient, ref: string): Promise<{ kind: string; object: string }> {
  const m = /^([a-z][a-z-]*)\/(.+)$/.exec(ref);
  if (!m) throw new UsageError(`events: --for ${JSON.stringify(ref)} is not KIND/NAME (e.g. workload/web, node/n1)`);
  const [, kind, name] = m as unknown as [string, string, string];
  if (kind !== 'workload' && kind !== 'node') return { kind, object: name };
  const o = await client.get<{ id: string }>(`/api/v1/${kind}s/${seg(name)}`);
  return { kind, object: o.id };
}

function eventLine(e: FleetEvent): string {
  return `${e.createdAt}  ${e.type.padEnd(7)}  ${e.objectKind}/${e.objectId}  ${e.reason}: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`;
}

function streamFormat(ctx: Context, e: FleetEvent): string {
  if (ctx.globals.format === 'json') return `${JSON.stringify(e)}\n`;
  if (ctx.globals.format === 'yaml') return `---\n${stringify(e, { lineWidth: 0 })}`;
  return eventLine(e);
}

export interface WatchOptions {
  server: string;
  headers: Record<string, string>;
  filter: EventFilter;
  /** The newest event id already printed (0: none); the watch resumes after it. */
  after: number;
  onEvent(e: FleetEvent): void;
  /** Reconnect notices, for stderr. */
  onNotice(text: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Aborting ends the watch normally (Ctrl-C). */
  signal: AbortSignal;
  /** First reconnect delay, doubled per failed attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Error frames worth a reconnect: the console is restarting or hit a transient fault. */
const TRANSIENT_CODES = new Set(['console_stopping', 'internal', 'slow_consumer']);
/** A connection that stayed up this long resets the backoff. */
const STABLE_MS = 5_000;

function transient(err: unknown): boolean {
  if (err instanceof StreamConnectionError) return true;
  if (err instanceof StreamFrameError) return TRANSIENT_CODES.has(err.code);
  return err instanceof ApiError && (err.status >= 500 || err.status === 429);
}

async function sleepUnlessAborted(o: Pick<WatchOptions, 'sleep' | 'signal'>, ms: number): Promise<void> {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<void>((r) => (onAbort = r));
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([o.sleep(ms), aborted]);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Follows /api/v1/events/watch from `after`, printing each event once, until `signal` aborts.
 * A dropped socket, an unreachable console or a 5xx is retried with exponential backoff,
 * resuming after the last event received (the console replays what was recorded meanwhile);
 * refusals (401, 403, 400, 404) and other error frames end the watch with their message.
 * Resolves with the last event id seen.
 */
export async function watchEvents(o: WatchOptions): Promise<number> {
  const first = o.backoffMs ?? 500;
  let delay = first;
  let after = o.after;
  let lost = false;
  while (!o.signal.aborted) {
    const url = new URL(`${o.server}/api/v1/events/watch`);
    url.searchParams.set('after', String(after));
    for (const [k, v] of Object.entries(o.filter)) if (v !== undefined) url.searchParams.set(k, v);
    let openedAt: number | undefined;
    let why = 'the console closed it';
    try {
      await stream(
        url,
        o.headers,
        'watch events',
        (m) => {
          if (m.type === 'record' && m.event.id > after) {
            after = m.event.id;
            o.onEvent(m.event);
          }
          return undefined;
        },
        () => {
          openedAt = o.now();
          if (lost) o.onNotice(`berth: event stream resumed after event ${after}\n`);
          lost = false;
        },
        o.signal,
      );
    } catch (err) {
      if (o.signal.aborted) break;
      if (!transient(err)) throw err;
      why = errorMessage(err);
    }
    if (o.signal.aborted) break;
    if (openedAt !== undefined && o.now() - openedAt >= STABLE_MS) delay = first;
    lost = true;
    o.onNotice(`berth: event stream lost (${why}); reconnecting in ${delay / 1000}s from event ${after}\n`);
    await sleepUnlessAborted(o, delay);
    delay = Math.min(delay * 2, o.maxBackoffMs ?? 15_000);
  }
  return after;
}

const events: Command = {
  path: ['events'],
  usage: '[--watch] [--for KIND/NAME] [--kind KIND] [--object ID] [--type Normal|Warning] [--limit N]',
  summary: 'list fleet events, oldest first; --watch then streams new ones until Ctrl-C',
  flags: {
    watch: { type: 'boolean', short: 'w' },
    for: { type: 'string' },
    kind: { type: 'string' },
    object: { type: 'string' },
    type: { type: 'string' },
    limit: { type: 'int', min: 1 },
  },
  async run(ctx, args) {
    expectPositionals(args, [], 'events');
    const client = await apiClient(ctx);
    const ref = str(args, 'for');
    if (ref !== undefined && (str(args, 'kind') !== undefined || str(args, 'object') !== undefined)) throw new UsageError('events: --for replaces --kind and --object; give one or the other');
    const target = ref === undefined ? { kind: str(args, 'kind'), object: str(args, 'object') } : await forObject(client, ref);
    const filter: EventFilter = { ...target, type: str(args, 'type') };
    const limit = int(args, 'limit') ?? 50;
    const first = await client.get<Page<FleetEvent>>('/api/v1/events', { ...filter, limit: Math.min(limit, 500) });
    const items = [...first.items].reverse();
    if (!bool(args, 'watch')) {
      const now = ctx.now();
      const names = ctx.globals.format === 'table' ? await objectNames(client, items) : new Map<string, string>();
      ctx.io.stdout(
        formatOutput(ctx.globals.format, { items }, () =>
          items.length === 0
            ? 'No events\n'
            : renderTable(
                ['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
                items.map((e) => [formatAge(e.createdAt, now), e.type, e.reason, `${e.objectKind}/${names.get(`${e.objectKind}/${e.objectId}`) ?? e.objectId}`, e.message]),
              ),
        ),
      );
      return;
    }
    for (const e of items) ctx.io.stdout(streamFormat(ctx, e));
    const { server, headers } = await authHeaders(ctx);
    const interrupt = new AbortController();
    const stop = () => interrupt.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await watchEvents({
        server,
        headers,
        filter,
        after: first.items[0]?.id ?? 0,
        onEvent: (e) => ctx.io.stdout(streamFormat(ctx, e)),
        onNotice: (text) => ctx.io.stderr(text),
        sleep: (ms) => ctx.sleep(ms),
        now: () => ctx.now(),
        signal: interrupt.signal,
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};

export const eventCommands: Command[] = [events];
