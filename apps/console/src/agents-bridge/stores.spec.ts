import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignmentsService } from '../assignments/assignments.service.js';
import { DatabaseService } from '../database/database.service.js';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';
import { PlacementService } from '../placement/placement.service.js';
import { insertNode } from '../testing/fixtures.js';
import { startTestApp } from '../testing/test-app.js';
import { BACKENDS } from '../testing/temp-db.js';
import type { ContainerObservation, NodeStatusUpdate } from '../agents/ports.js';
import { AGENTS_ASSIGNMENT_STORE, AGENTS_NODE_STORE } from '../agents/agents.module.js';
import { PrismaAssignmentStore } from './assignment-store.js';
import { PrismaNodeStore } from './node-store.js';

const update = (at: Date, containers: ContainerObservation[] = []): NodeStatusUpdate => ({
  at, capacity: null, allocatable: null, usage: { cpuMillis: 10, memoryBytes: 1, pids: 1, containersRunning: containers.length }, agentVersion: 'sim-2', containers, observedRevision: 7,
});
const running = (assignmentId: string, ready: boolean): ContainerObservation => ({
  assignmentId, containerId: `c-${assignmentId.slice(0, 4)}`, state: 'running', exitCode: 0, restartCount: 0, reason: '', message: '', ready, startedAt: new Date(1_000), finishedAt: null, imageDigest: 'sha256:ab', revision: 1,
});

for (const b of BACKENDS) {
  test(`agent stores (${b.name}): concurrent reports and reads are batched; each caller sees its own result`, { skip: b.skip() }, async () => {
    const t = await startTestApp(b.name as 'pglite' | 'postgres');
    try {
      await t.app.get(PlacementService).onModuleDestroy(); // replicas placed by hand below
      const db = t.app.get(DatabaseService);
      const nodes = t.app.get<PrismaNodeStore>(AGENTS_NODE_STORE, { strict: false });
      const store = t.app.get<PrismaAssignmentStore>(AGENTS_ASSIGNMENT_STORE, { strict: false });
      assert.ok(nodes instanceof PrismaNodeStore && store instanceof PrismaAssignmentStore);
      const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => insertNode(t, `n${i}`, {}, i < 3 ? 'NotReady' : 'Ready').then((n) => n.id)));
      const op = await t.tokenFor('operator');
      const w = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'web', replicas: 3, spec: { image: 'web:1' } } });
      const made = await t.app.get(AssignmentsService).create(ids.slice(0, 3).map((nodeId, i) => ({ workloadId: w.body.id, workloadRevision: 1, nodeId, replicaIndex: i })));
      const events: FleetEvent[] = [];
      t.app.get(FleetEvents).subscribe((e) => events.push(e));

      // Reads: 30 gets and 30 snapshots at once; an unknown id is undefined, not an error.
      const got = await Promise.all([...ids, 'no-such-node'].map((id) => nodes.get(id)));
      assert.deepEqual(got.map((n) => n?.name), [...ids.map((_, i) => `n${i}`), undefined]);
      const snaps = await Promise.all(ids.map((id) => store.snapshot(id)));
      assert.deepEqual(snaps.map((s) => s.assignments.length), ids.map((_, i) => (i < 3 ? 1 : 0)));
      assert.equal(snaps[0]?.assignments[0]?.id, made[0]?.id);
      assert.equal(snaps[0]?.assignments[0]?.spec.image, 'web:1');

      // 30 heartbeats at once, three with a container; one for a node that does not exist.
      const at = new Date(Date.now() - 1000);
      await Promise.all([
        ...ids.map((id, i) => nodes.recordStatus(id, update(at, i < 3 ? [running(made[i]!.id, i === 0)] : []))),
        nodes.recordStatus('no-such-node', update(at)),
      ]);
      const rows = await db.prisma.node.findMany({ where: { id: { in: ids } }, orderBy: { name: 'asc' } });
      assert.ok(rows.every((r) => r.status === 'Ready' && r.lastHeartbeatAt?.getTime() === at.getTime() && r.agentVersion === 'sim-2' && r.observedRevision === 7n));
      const statuses = await db.prisma.containerStatus.findMany({ orderBy: { assignmentId: 'asc' } });
      assert.equal(statuses.length, 3);
      // The three NotReady nodes came back (node events); the workload's replicas changed (status event).
      assert.deepEqual(events.filter((e) => e.kind === 'node').map((e) => e.id).sort(), ids.slice(0, 3).sort());
      assert.deepEqual(events.filter((e) => e.kind === 'status').map((e) => e.id), [w.body.id]);

      // The same report again: heartbeat recorded, statuses not rewritten, no events.
      events.length = 0;
      const before = new Map(statuses.map((s) => [s.assignmentId, s.revision]));
      const later = new Date(at.getTime() + 500);
      await Promise.all(ids.slice(0, 3).map((id, i) => nodes.recordStatus(id, update(later, [running(made[i]!.id, i === 0)]))));
      const again = await db.prisma.containerStatus.findMany();
      assert.ok(again.every((s) => s.revision === before.get(s.assignmentId)), 'unchanged statuses keep their revision');
      assert.equal((await db.prisma.node.findUnique({ where: { id: ids[0]! } }))?.lastHeartbeatAt?.getTime(), later.getTime());
      assert.equal(events.length, 0, 'no fleet events for an unchanged report');

      // A replica becomes ready: only its row changes, and the workload gets a status event.
      await nodes.recordStatus(ids[1]!, update(new Date(), [running(made[1]!.id, true), running('00000000-0000-4000-8000-000000000000', true), running('not-a-uuid', true)]));
      const changed = (await db.prisma.containerStatus.findMany()).filter((s) => s.revision !== before.get(s.assignmentId));
      assert.deepEqual(changed.map((s) => [s.assignmentId, s.ready]), [[made[1]!.id, true]], 'unknown and malformed assignment ids are ignored');
      assert.deepEqual(events.map((e) => [e.kind, e.id]), [['status', w.body.id]]);

      // Heartbeats stop: markNotReady takes the stale nodes once.
      const lost = await nodes.markNotReady(new Date(Date.now() + 60_000));
      assert.equal(lost.length, 30);
      assert.deepEqual(await nodes.markNotReady(new Date(Date.now() + 60_000)), []);

      // Resumed watches of many nodes at once: each gets only its own changes after its revision.
      const r0 = snaps[0]!.revision;
      await t.app.get(AssignmentsService).setDesiredState([made[0]!.id], 'removed');
      const ch = await Promise.all(ids.map((id) => store.changesSince(id, r0)));
      const lists = ch.map((c) => {
        assert.notEqual(c, 'compacted');
        return typeof c === 'string' ? [] : c.changes;
      });
      assert.deepEqual(lists[0]?.map((c) => c.kind), ['delete']);
      assert.ok(lists.slice(1).every((l) => l.length === 0));
    } finally {
      await t.close();
    }
  });
}
