import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryAssignmentStore, InMemoryFleetEvents, InMemoryNodeStore } from './memory.js';
import type { AssignmentView, FleetEvent } from './ports.js';

const a = (id: string): Omit<AssignmentView, 'revision'> => ({
  id, workloadId: 'w', workloadName: 'w', replicaIndex: 0, workloadRevision: 1, desiredState: 'running',
  spec: { image: 'x', command: [], args: [], env: {}, resources: undefined, ports: [], volumes: [], restartPolicy: undefined, livenessProbe: undefined, readinessProbe: undefined, workingDir: '', user: '' },
});

test('memory assignment store: revisions grow, events name the node, history is per node', async () => {
  const events = new InMemoryFleetEvents();
  const seen: FleetEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const s = new InMemoryAssignmentStore(events);
  s.upsert('n1', a('x'));
  s.upsert('n2', a('y'));
  assert.equal(s.delete('x'), 3);
  assert.equal(s.delete('x'), undefined);
  assert.deepEqual(seen, [{ kind: 'assignment', nodeId: 'n1', revision: 1 }, { kind: 'assignment', nodeId: 'n2', revision: 2 }, { kind: 'assignment', nodeId: 'n1', revision: 3 }]);
  assert.deepEqual(await s.changesSince('n1', 1), { revision: 3, changes: [{ kind: 'delete', assignmentId: 'x', revision: 3 }] });
  assert.deepEqual((await s.snapshot('n1')).assignments, []);
  assert.throws(() => s.upsert('n1', a('y')), /it belongs to node n2, not n1/);
});

test('memory assignment store: resuming before the retained history is "compacted"', async () => {
  const s = new InMemoryAssignmentStore(undefined, 2);
  for (const id of ['p', 'q', 'r', 's']) s.upsert('n1', a(id));
  assert.equal(await s.changesSince('n1', 1), 'compacted');
  const r = await s.changesSince('n1', 2);
  assert.notEqual(r, 'compacted');
  assert.deepEqual(r !== 'compacted' && r.changes.map((c) => c.kind === 'upsert' && c.assignment.id), ['r', 's']);
});

test('memory node store: markNotReady changes only stale Ready nodes, once', async () => {
  const s = new InMemoryNodeStore();
  const base = { labels: {}, capacity: { cpuMillis: 1, memoryBytes: 1, pids: 1, ephemeralStorageBytes: 0 }, allocatable: { cpuMillis: 1, memoryBytes: 1, pids: 1, ephemeralStorageBytes: 0 }, agentVersion: 'v', addresses: [], certFingerprint: 'f' };
  await s.create({ id: 'old', name: 'old', ...base });
  await s.create({ id: 'new', name: 'new', ...base });
  const update = { capacity: null, allocatable: null, usage: null, agentVersion: null, containers: [], observedRevision: 0 };
  await s.recordStatus('old', { at: new Date(1_000), ...update });
  await s.recordStatus('new', { at: new Date(50_000), ...update });
  assert.deepEqual(await s.markNotReady(new Date(10_000)), ['old']);
  assert.deepEqual(await s.markNotReady(new Date(10_000)), []);
});
