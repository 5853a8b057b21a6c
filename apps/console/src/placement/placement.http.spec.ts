import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENTS_ASSIGNMENT_STORE } from '../agents/agents.module.js';
import type { PrismaAssignmentStore } from '../agents-bridge/assignment-store.js';
import { insertNode } from '../testing/fixtures.js';
import { startTestApp } from '../testing/test-app.js';
import { PlacementService } from './placement.service.js';

test('placement: workloads become assignments spread over ready nodes; scale-down removes; agents see changes and compaction', async () => {
  const t = await startTestApp();
  try {
    const op = await t.tokenFor('operator');
    const n1 = await insertNode(t, 'n1', { zone: 'a' });
    const n2 = await insertNode(t, 'n2', { zone: 'b' });
    await insertNode(t, 'n3', { zone: 'a' }, 'NotReady');
    const placement = t.app.get(PlacementService);
    const store = t.app.get<symbol, PrismaAssignmentStore>(AGENTS_ASSIGNMENT_STORE, { strict: false });

    const w = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'web', replicas: 2, spec: { image: 'web:1', resources: { requests: { cpu: 500, memory: 2 ** 28 } } } } });
    assert.equal(w.status, 201);
    await placement.runNow();
    const placed = await t.call('GET', '/api/v1/assignments?workload=web', { token: op });
    assert.deepEqual(placed.body.items.map((a: { nodeName: string }) => a.nodeName).sort(), ['n1', 'n2']);

    // What an agent on n1 sees: a snapshot, then only its own later changes.
    const snap = await store.snapshot(n1.id);
    assert.equal(snap.assignments.length, 1);
    assert.equal(snap.assignments[0]!.spec.image, 'web:1');
    assert.equal(snap.assignments[0]!.spec.resources?.requests?.cpuMillis, 500);
    const scaled = await t.call('POST', '/api/v1/workloads/web/scale', { token: op, body: { replicas: 1 } });
    assert.equal(scaled.status, 200);
    await placement.runNow();
    const left = await t.call('GET', '/api/v1/assignments?workload=web&desiredState=running', { token: op });
    assert.equal(left.body.items.length, 1);
    const removedNode = left.body.items[0].nodeName === 'n1' ? n2 : n1;
    const ch = await store.changesSince(removedNode.id, snap.revision);
    assert.ok(ch !== 'compacted');
    assert.deepEqual(ch.changes.map((c) => c.kind), ['delete']);

    // Too big for any node: a Warning event says why, once.
    const big = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'big', spec: { image: 'big:1', resources: { requests: { cpu: 64000 } } } } });
    // (Compared across two back-to-back passes: on a slow machine the nodes' heartbeats may
    // expire during the test, which rightly changes the reason and warns again.)
    await placement.runNow();
    const ev = await t.call('GET', `/api/v1/events?kind=workload&object=${big.body.id}`, { token: op });
    assert.ok(ev.body.items.length >= 1);
    assert.equal(ev.body.items[0].reason, 'FailedScheduling');
    assert.match(ev.body.items[0].message, /cpu|insufficient|not ready/i);
    await placement.runNow();
    const again = await t.call('GET', `/api/v1/events?kind=workload&object=${big.body.id}`, { token: op });
    assert.equal(again.body.items.length, ev.body.items.length, 'an unchanged reason is not warned twice');

    // Deleting a workload hard-deletes its assignments: resuming from before that is compacted.
    const before = (await store.snapshot(n1.id)).revision;
    assert.equal((await t.call('DELETE', '/api/v1/workloads/web', { token: op })).status, 204);
    assert.equal(await store.changesSince(n1.id, before), 'compacted');
    const after = await store.snapshot(n1.id);
    assert.deepEqual(after.assignments, []);
    assert.ok(after.revision > before);
    const resumed = await store.changesSince(n1.id, after.revision);
    assert.deepEqual(resumed !== 'compacted' && resumed.changes, []);
  } finally {
    await t.close();
  }
});
