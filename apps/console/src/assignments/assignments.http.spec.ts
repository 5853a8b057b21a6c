import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';
import { insertNode } from '../testing/fixtures.js';
import { startTestApp } from '../testing/test-app.js';
import { AssignmentsRepository } from './assignments.repository.js';
import { AssignmentsService } from './assignments.service.js';
import { PlacementService } from '../placement/placement.service.js';

test('assignments: created and removed with rising revisions, listed by node and workload, status joined, events carry nodeId', async () => {
  const t = await startTestApp();
  try {
    // This test places replicas by hand: stop the automatic scheduler first.
    await t.app.get(PlacementService).onModuleDestroy();
    const op = await t.tokenFor('operator');
    const n1 = await insertNode(t, 'n1');
    const n2 = await insertNode(t, 'n2');
    const w = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'web', replicas: 2, spec: { image: 'web:1' } } });
    const events: FleetEvent[] = [];
    t.app.get(FleetEvents).subscribe((e) => events.push(e));
    const svc = t.app.get(AssignmentsService);
    const [a0, a1] = await svc.create([
      { workloadId: w.body.id, workloadRevision: 1, nodeId: n1.id, replicaIndex: 0 },
      { workloadId: w.body.id, workloadRevision: 1, nodeId: n2.id, replicaIndex: 1 },
    ]);
    assert.ok(a0 && a1 && a1.revision > a0.revision);
    assert.deepEqual(events.map((e) => [e.kind, e.id, e.nodeId]), [['assignment', a0.id, n1.id], ['assignment', a1.id, n2.id]]);

    const repo = t.app.get(AssignmentsRepository);
    await repo.recordStatus([{ assignmentId: a0.id, nodeId: n1.id, containerId: 'c0', state: 'running', exitCode: null, restartCount: 1, reason: null, message: null, ready: true, imageDigest: 'sha256:ab', startedAt: new Date(), finishedAt: null, assignmentRevision: a0.revision }]);

    const byNode = await t.call('GET', '/api/v1/assignments?node=n1', { token: op });
    assert.equal(byNode.status, 200);
    assert.deepEqual(byNode.body.items.map((a: { id: string }) => a.id), [a0.id]);
    assert.equal(byNode.body.items[0].status.state, 'running');
    assert.equal(byNode.body.items[0].workloadName, 'web');
    assert.equal(byNode.body.items[0].workloadRevision, 1);
    const running = await t.call('GET', '/api/v1/assignments?workload=web&state=running', { token: op });
    assert.equal(running.body.items.length, 1);
    const all = await t.call('GET', '/api/v1/assignments?workload=web', { token: op });
    assert.equal(all.body.items.length, 2);
    assert.equal((await t.call('GET', '/api/v1/assignments?node=nope', { token: op })).body.code, 'node_not_found');

    // Removal is a revisioned change a Watch can resume from.
    const since = a1.revision;
    const [removed] = await svc.setDesiredState([a0.id], 'removed');
    assert.ok(removed && removed.revision > since);
    const changed = await repo.changedSince(n1.id, since);
    assert.deepEqual(changed.map((a) => [a.id, a.desiredState]), [[a0.id, 'removed']]);
    assert.deepEqual(await repo.changedSince(n2.id, since), []);
    assert.deepEqual((await repo.forNode(n1.id)).length, 0);
  } finally {
    await t.close();
  }
});
