import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSkip, tempPostgres } from '../testing/temp-db.js';

test('PostgresSql.listen: survives the server killing its connection and hears later notifications', { skip: postgresSkip() }, async () => {
  const t = await tempPostgres();
  try {
    const got: string[] = [];
    const stop = await t.db.sql.listen('berth_test_chan', (p) => got.push(p));
    const pids = await t.db.sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
    );
    assert.equal(pids.length, 1);
    await t.db.sql.query('SELECT pg_terminate_backend($1)', [pids[0]!.pid]);
    const deadline = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < deadline) {
      await t.db.sql.query(`SELECT pg_notify('berth_test_chan', 'after-kill')`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(got[0], 'after-kill');
    await stop();
  } finally {
    await t.dispose();
  }
});
