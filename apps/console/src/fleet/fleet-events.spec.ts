import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DatabaseService } from '../database/database.service.js';
import { postgresSkip, tempPglite, tempPostgres } from '../testing/temp-db.js';
import { FleetEvents, type FleetEvent } from './fleet-events.js';

const silent = pino({ level: 'silent' });

function waitFor(events: FleetEvent[], n: number, ms = 5000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => (events.length >= n ? resolve() : Date.now() - t0 > ms ? reject(new Error(`got ${events.length} of ${n} events`)) : setTimeout(tick, 10));
    tick();
  });
}

test('FleetEvents(pglite): delivers in process; a throwing listener does not stop others; unsubscribe works', async () => {
  const t = await tempPglite();
  try {
    const fe = new FleetEvents(t.db, silent);
    await fe.onModuleInit();
    const got: FleetEvent[] = [];
    fe.subscribe(() => {
      throw new Error('bad listener');
    });
    const off = fe.subscribe((e) => got.push(e));
    await fe.publish([{ kind: 'workload', id: 'w', revision: 3 }]);
    off();
    await fe.publish([{ kind: 'workload', id: 'w', revision: 4 }]);
    assert.deepEqual(got, [{ kind: 'workload', id: 'w', revision: 3 }]);
    await fe.onModuleDestroy();
  } finally {
    await t.dispose();
  }
});

test('FleetEvents(postgres): a change published by one replica reaches the other exactly once, in chunks', { skip: postgresSkip() }, async () => {
  const t = await tempPostgres();
  const rows = await t.db.sql.query<{ d: string }>('SELECT current_database() AS d');
  const u = new URL(process.env['BERTH_TEST_DATABASE_URL']!);
  u.pathname = `/${rows[0]!.d}`;
  const other = await DatabaseService.open({ dataDir: t.dataDir, databaseUrl: u.toString() });
  const a = new FleetEvents(t.db, silent);
  const b = new FleetEvents(other, silent);
  try {
    await a.onModuleInit();
    await b.onModuleInit();
    const atA: FleetEvent[] = [];
    const atB: FleetEvent[] = [];
    a.subscribe((e) => atA.push(e));
    b.subscribe((e) => atB.push(e));
    // 400 events do not fit one NOTIFY payload: they must arrive complete and in order.
    const sent: FleetEvent[] = Array.from({ length: 400 }, (_, i) => ({ kind: 'assignment', id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, nodeId: `node-${i % 7}`, revision: i + 1 }));
    // The flags survive the trip too.
    sent.push({ kind: 'node', id: 'n-removed', revision: 401, removed: true }, { kind: 'node', id: 'n-revoked', revision: 402, revoked: true }, { kind: 'node', id: 'n-both', revision: 403, removed: true, revoked: true }, { kind: 'status', id: 'w1', revision: 404 });
    await a.publish(sent);
    await waitFor(atB, 404);
    assert.deepEqual(atB, sent);
    assert.deepEqual(atA, sent);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(atA.length, 404, 'own notifications must not be delivered twice');
  } finally {
    await a.onModuleDestroy();
    await b.onModuleDestroy();
    await other.close();
    await t.dispose();
  }
});
