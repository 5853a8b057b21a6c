import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PageRequest } from '../common/pagination.js';
import type { EventFilter, FleetRecordedEvent } from '../events/index.js';
import { EventTail, matches, type EventWatcher } from './event-tail.js';

/** The events table in memory, listed the way EventsService.list does (newest first, `after` = continue below). */
class Table {
  rows: FleetRecordedEvent[] = [];
  reads = 0;
  failNext = false;
  add(n: number, over: Partial<FleetRecordedEvent> = {}): void {
    for (let i = 0; i < n; i++) {
      const id = (this.rows.at(-1)?.id ?? 0) + 1;
      this.rows.push({ id, type: 'Normal', reason: `R${id}`, message: `m${id}`, objectKind: 'workload', objectId: 'w1', createdAt: new Date(0), ...over });
    }
  }
  async list(filter: EventFilter, page: PageRequest) {
    this.reads++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database went away');
    }
    const below = page.after === undefined ? Number.POSITIVE_INFINITY : Number(page.after);
    const all = this.rows.filter((e) => e.id < below && matches(filter, e)).reverse();
    const items = all.slice(0, page.limit);
    return all.length > page.limit ? { items, nextCursor: String(items.at(-1)!.id) } : { items };
  }
}

const log = { warn: () => undefined, error: () => undefined };

function watcher(after: number | undefined, filter: EventFilter = {}) {
  const got: number[] = [];
  const errors: unknown[] = [];
  const w: EventWatcher = { ...(after === undefined ? {} : { after }), filter, send: (e) => (got.push(e.id), true), fail: (err) => void errors.push(err) };
  return { w, got, errors };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('event tail: a watcher gets the backlog after its id, then new events, each once and in order', async () => {
  const table = new Table();
  table.add(5);
  const tail = new EventTail(table, log, { intervalMs: 10, maxBacklog: 100 });
  try {
    const a = watcher(2);
    tail.watch(a.w);
    await until(() => a.got.length === 3, 'the backlog');
    table.add(3);
    await until(() => a.got.length === 6, 'new events');
    // A second watcher joins late, resuming from what it saw; the first sees nothing twice.
    const b = watcher(7);
    tail.watch(b.w);
    table.add(1);
    await until(() => a.got.length === 7 && b.got.length === 2, 'both watchers');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(a.got, [3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(b.got, [8, 9]);
  } finally {
    tail.stop();
  }
});

test('event tail: without an id a watcher starts from now; filters apply to backlog and new events', async () => {
  const table = new Table();
  table.add(3);
  table.add(2, { objectId: 'w2', type: 'Warning' });
  const tail = new EventTail(table, log, { intervalMs: 10, maxBacklog: 100 });
  try {
    const now = watcher(undefined);
    const w2 = watcher(0, { objectKind: 'workload', objectId: 'w2', type: 'Warning' });
    tail.watch(now.w);
    tail.watch(w2.w);
    await until(() => w2.got.length === 2, 'the filtered backlog');
    table.add(1);
    table.add(1, { objectId: 'w2', type: 'Warning' });
    table.add(1, { objectId: 'w2', type: 'Normal' });
    await until(() => now.got.length === 3 && w2.got.length === 3, 'new events');
    assert.deepEqual(now.got, [6, 7, 8]);
    assert.deepEqual(w2.got, [4, 5, 7]);
  } finally {
    tail.stop();
  }
});

test('event tail: a read failure is retried without losing events; too old a resume point is refused', async () => {
  const table = new Table();
  table.add(30);
  const tail = new EventTail(table, log, { intervalMs: 10, maxBacklog: 10 });
  try {
    const old = watcher(5);
    tail.watch(old.w);
    await until(() => old.errors.length === 1, 'the refusal');
    assert.deepEqual(old.got, []);
    assert.match((old.errors[0] as Error).message, /^failed to resume events after id 5: more than 10 events were recorded since/);
    assert.equal((old.errors[0] as { code?: string }).code, 'resume_too_old');

    const ok = watcher(30);
    tail.watch(ok.w);
    await until(() => tail.size === 1 && table.reads > 3, 'the watcher to be live');
    table.failNext = true;
    table.add(2);
    await until(() => ok.got.length === 2, 'events after the failed read');
    assert.deepEqual(ok.got, [31, 32]);
  } finally {
    tail.stop();
  }
});

test('event tail: reads only while someone watches; stop fails the watchers that remain', async () => {
  const table = new Table();
  table.add(1);
  const tail = new EventTail(table, log, { intervalMs: 10, maxBacklog: 10 });
  const a = watcher(undefined);
  const unwatch = tail.watch(a.w);
  await until(() => table.reads >= 3, 'reads while watched');
  unwatch();
  await new Promise((r) => setTimeout(r, 30));
  const reads = table.reads;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(table.reads, reads, 'no reads without watchers');
  const b = watcher(undefined);
  tail.watch(b.w);
  tail.stop();
  assert.equal((b.errors[0] as { code?: string }).code, 'console_stopping');
  assert.equal(tail.size, 0);
});

test('event tail: a "recorded" notice reads at once; the interval is only a safety net; stop unsubscribes', async () => {
  const table = new Table();
  table.add(2);
  let kick: (() => void) | undefined;
  let unsubscribed = false;
  const tail = new EventTail(table, log, { intervalMs: 60_000, maxBacklog: 100 }, (k) => {
    kick = k;
    return () => void (unsubscribed = true);
  });
  try {
    const a = watcher(0);
    tail.watch(a.w);
    await until(() => a.got.length === 2, 'the backlog');
    table.add(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(a.got, [1, 2], 'nothing is read before the next interval without a notice');
    kick?.();
    await until(() => a.got.length === 3, 'the event announced by the notice');
  } finally {
    tail.stop();
  }
  assert.equal(unsubscribed, true);
});
