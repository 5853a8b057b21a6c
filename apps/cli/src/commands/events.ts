import { stringify } from 'yaml';
import { bool, expectPositionals, int, parseDuration, str } from '../args.js';
import type { ApiClient, Page } from '../client.js';
import { formatAge, formatOutput, renderTable } from '../output.js';
import type { FleetEvent } from '../types.js';
import { apiClient, type Command, type Context } from './context.js';

type Filter = Record<string, string | undefined>;

/** Events with id > `after`, oldest first, following cursors back until it reaches `after`. */
export async function eventsSince(client: ApiClient, filter: Filter, after: number): Promise<FleetEvent[]> {
  const out: FleetEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.get<Page<FleetEvent>>('/api/v1/events', { ...filter, limit: 100, cursor });
    let reached = false;
    for (const e of page.items) {
      if (e.id <= after) {
        reached = true;
        break;
      }
      out.push(e);
    }
    if (reached || page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  return out.reverse();
}

/** `workload/<id>` -> the workload's name (and the same for nodes), for the table; ids of deleted objects stay ids. */
async function objectNames(client: ApiClient, events: readonly FleetEvent[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const [kind, path] of [['workload', '/api/v1/workloads'], ['node', '/api/v1/nodes']] as const) {
    if (!events.some((e) => e.objectKind === kind)) continue;
    for (const o of await client.listAll<{ id: string; name: string }>(path)) names.set(`${kind}/${o.id}`, o.name);
  }
  return names;
}

function eventLine(e: FleetEvent): string {
  return `${e.createdAt}  ${e.type.padEnd(7)}  ${e.objectKind}/${e.objectId}  ${e.reason}: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`;
}

function streamFormat(ctx: Context, e: FleetEvent): string {
  if (ctx.globals.format === 'json') return `${JSON.stringify(e)}\n`;
  if (ctx.globals.format === 'yaml') return `---\n${stringify(e, { lineWidth: 0 })}`;
  return eventLine(e);
}

const events: Command = {
  path: ['events'],
  usage: '[--watch] [--kind KIND] [--object ID] [--type Normal|Warning] [--limit N]',
  summary: 'list fleet events, oldest first; --watch keeps printing new ones',
  flags: {
    watch: { type: 'boolean', short: 'w' },
    kind: { type: 'string' },
    object: { type: 'string' },
    type: { type: 'string' },
    limit: { type: 'int', min: 1 },
    interval: { type: 'string' },
  },
  async run(ctx, args) {
    expectPositionals(args, [], 'events');
    const filter: Filter = { kind: str(args, 'kind'), object: str(args, 'object'), type: str(args, 'type') };
    const limit = int(args, 'limit') ?? 50;
    const intervalMs = Math.max(50, parseDuration('interval', str(args, 'interval') ?? '1s'));
    const client = await apiClient(ctx);
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
    let last = first.items[0]?.id ?? 0;
    for (const e of items) ctx.io.stdout(streamFormat(ctx, e));
    for (;;) {
      await ctx.sleep(intervalMs);
      for (const e of await eventsSince(client, filter, last)) {
        ctx.io.stdout(streamFormat(ctx, e));
        last = Math.max(last, e.id);
      }
    }
  },
};

export const eventCommands: Command[] = [events];
