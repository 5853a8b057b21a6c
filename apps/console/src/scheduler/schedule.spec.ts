import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, resolveIntOrPercent } from './schedule.js';
import type { Decision, SchedulerAssignment, SchedulerNode, SchedulerWorkload } from './types.js';

const GiB = 1024 ** 3;

function node(name: string, o: Partial<SchedulerNode> = {}): SchedulerNode {
  return { id: name, name, labels: {}, ready: true, schedulable: true, allocatable: { cpuMillis: 4000, memoryBytes: 8 * GiB, pids: 1000 }, ...o };
}
function wl(name: string, o: Partial<SchedulerWorkload> = {}): SchedulerWorkload {
  return { id: name, name, replicas: 1, revision: 1, requests: { cpuMillis: 100, memoryBytes: GiB / 4 }, ...o };
}
let seq = 0;
function asg(workload: string, replicaIndex: number, nodeId: string, o: Partial<SchedulerAssignment> = {}): SchedulerAssignment {
  return { id: o.id ?? `${workload}-${replicaIndex}-${++seq}`, workloadId: workload, nodeId, replicaIndex, revision: 1, requests: { cpuMillis: 100, memoryBytes: GiB / 4 }, ready: true, ...o };
}

/** One line per decision: easy to read in a table. */
function show(d: Decision): string {
  switch (d.type) {
    case 'place': return `place ${d.workloadId}#${d.replicaIndex}@r${d.revision} -> ${d.nodeId}`;
    case 'remove': return `remove ${d.assignmentId} (${d.reason})`;
    case 'unplaceable': return `unplaceable ${d.workloadId}#${d.replicaIndex}: ${d.reason}`;
    case 'invalid': return `invalid ${d.workloadId}: ${d.reason}`;
  }
}

interface Case {
  name: string;
  workloads: SchedulerWorkload[];
  nodes: SchedulerNode[];
  assignments?: SchedulerAssignment[];
  want: string[];
}

const three = [node('n1'), node('n2'), node('n3')];

const cases: Case[] = [
  { name: 'places one replica on the first node by name when all are equal', workloads: [wl('web')], nodes: three, want: ['place web#0@r1 -> n1'] },
  { name: 'spreads replicas across nodes', workloads: [wl('web', { replicas: 3 })], nodes: three, want: ['place web#0@r1 -> n1', 'place web#1@r1 -> n2', 'place web#2@r1 -> n3'] },
  { name: 'wraps around when replicas exceed nodes', workloads: [wl('web', { replicas: 4 })], nodes: [node('n1'), node('n2')], want: ['place web#0@r1 -> n1', 'place web#1@r1 -> n2', 'place web#2@r1 -> n1', 'place web#3@r1 -> n2'] },
  { name: 'spread counts existing replicas of the workload', workloads: [wl('web', { replicas: 2 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' })], want: ['place web#1@r1 -> n2'] },
  { name: 'prefers the node with more free memory among equals', workloads: [wl('web')], nodes: three, assignments: [asg('db', 0, 'n1', { id: 'd0' }), asg('db', 1, 'n2', { id: 'd1' })], want: ['remove d0 (workload-deleted)', 'remove d1 (workload-deleted)', 'place web#0@r1 -> n1'] },
  { name: 'other workloads consume capacity', workloads: [wl('db', { replicas: 2, requests: { memoryBytes: 6 * GiB } }), wl('web', { requests: { memoryBytes: 4 * GiB } })], nodes: [node('n1'), node('n2'), node('n3')], want: ['place db#0@r1 -> n1', 'place db#1@r1 -> n2', 'place web#0@r1 -> n3'] },
  { name: 'up-to-date workload needs nothing', workloads: [wl('web', { replicas: 2 })], nodes: three, assignments: [asg('web', 0, 'n1'), asg('web', 1, 'n2')], want: [] },
  { name: 'skips NotReady nodes', workloads: [wl('web')], nodes: [node('n1', { ready: false }), node('n2')], want: ['place web#0@r1 -> n2'] },
  { name: 'skips unschedulable (cordoned) nodes', workloads: [wl('web')], nodes: [node('n1', { schedulable: false }), node('n2')], want: ['place web#0@r1 -> n2'] },
  { name: 'node selector picks labelled nodes', workloads: [wl('web', { nodeSelector: { disk: 'ssd' } })], nodes: [node('n1'), node('n2', { labels: { disk: 'ssd' } })], want: ['place web#0@r1 -> n2'] },
  { name: 'node selector needs every label with the exact value', workloads: [wl('web', { nodeSelector: { disk: 'ssd', zone: 'a' } })], nodes: [node('n1', { labels: { disk: 'ssd', zone: 'b' } }), node('n2', { labels: { disk: 'ssd', zone: 'a' } })], want: ['place web#0@r1 -> n2'] },
  {
    name: 'unplaceable reason counts each cause like Kubernetes',
    workloads: [wl('big', { requests: { memoryBytes: 16 * GiB }, nodeSelector: { gpu: 'yes' } })],
    nodes: [node('n1', { labels: { gpu: 'yes' } }), node('n2', { labels: { gpu: 'yes' } }), node('n3')],
    want: ['unplaceable big#0: 0/3 nodes available: 2 insufficient memory, 1 node selector mismatch'],
  },
  {
    name: 'unplaceable lists cpu, memory, readiness and cordons',
    workloads: [wl('big', { requests: { cpuMillis: 5000, memoryBytes: 9 * GiB } })],
    nodes: [node('n1'), node('n2', { ready: false }), node('n3', { schedulable: false })],
    want: ['unplaceable big#0: 0/3 nodes available: 1 insufficient cpu, 1 insufficient memory, 1 node not ready, 1 node unschedulable'],
  },
  { name: 'no nodes at all', workloads: [wl('web')], nodes: [], want: ['unplaceable web#0: 0/0 nodes available: no nodes in the fleet'] },
  { name: 'pids are a schedulable resource', workloads: [wl('forky', { requests: { pids: 600 } })], nodes: [node('n1')], assignments: [asg('forky2', 0, 'n1', { id: 'f', requests: { pids: 500 } })], want: ['remove f (workload-deleted)', 'place forky#0@r1 -> n1'] },
  { name: 'a request for a resource the node does not declare does not fit', workloads: [wl('web', { requests: { pids: 1 } })], nodes: [node('n1', { allocatable: { memoryBytes: GiB } })], want: ['unplaceable web#0: 0/1 nodes available: 1 insufficient pids'] },
  { name: 'capacity already used by placements of the same pass', workloads: [wl('web', { replicas: 3, requests: { memoryBytes: 5 * GiB } })], nodes: [node('n1'), node('n2')], want: ['place web#0@r1 -> n1', 'place web#1@r1 -> n2', 'unplaceable web#2: 0/2 nodes available: 2 insufficient memory'] },
  { name: 'scale down removes the highest indices', workloads: [wl('web', { replicas: 1 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 2, 'n3', { id: 'a2' })], want: ['remove a1 (scale-down)', 'remove a2 (scale-down)'] },
  { name: 'scale to zero removes everything', workloads: [wl('web', { replicas: 0 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' })], want: ['remove a0 (scale-down)'] },
  { name: 'deleted workload: its assignments are removed', workloads: [], nodes: three, assignments: [asg('gone', 0, 'n1', { id: 'g0' })], want: ['remove g0 (workload-deleted)'] },
  { name: 'replicas on a lost node move elsewhere', workloads: [wl('web', { replicas: 2 })], nodes: [node('n1', { ready: false }), node('n2'), node('n3')], assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' })], want: ['remove a0 (node-lost)', 'place web#0@r1 -> n3'] },
  { name: 'workloads pinned to their node are not moved off a lost node', workloads: [wl('web', { rescheduleOnNodeFailure: false, revision: 2 })], nodes: [node('n1', { ready: false }), node('n2')], assignments: [asg('web', 0, 'n1', { id: 'a0' })], want: [] },
  { name: 'a lost replica that cannot be placed is reported', workloads: [wl('web', { nodeSelector: { role: 'edge' } })], nodes: [node('n1', { ready: false, labels: { role: 'edge' } }), node('n2')], assignments: [asg('web', 0, 'n1', { id: 'a0' })], want: ['remove a0 (node-lost)', 'unplaceable web#0: 0/2 nodes available: 1 node not ready, 1 node selector mismatch'] },
  { name: 'rolling update surges one replica first (default maxSurge 1, maxUnavailable 0)', workloads: [wl('web', { replicas: 2, revision: 2 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' })], want: ['place web#0@r2 -> n3'] },
  { name: 'rolling update waits while the surged replica is not ready', workloads: [wl('web', { replicas: 2, revision: 2 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 0, 'n3', { id: 'b0', revision: 2, ready: false })], want: [] },
  { name: 'rolling update removes the old replica once the new one is ready and surges the next', workloads: [wl('web', { replicas: 2, revision: 2 })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 0, 'n3', { id: 'b0', revision: 2 })], want: ['remove a0 (replaced)', 'place web#1@r2 -> n1'] },
  { name: 'maxUnavailable replaces in place without surge', workloads: [wl('web', { replicas: 3, revision: 2, strategy: { maxSurge: 0, maxUnavailable: 1 } })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 2, 'n3', { id: 'a2' })], want: ['remove a0 (replaced)', 'place web#0@r2 -> n1'] },
  { name: 'maxUnavailable budget is used up by replicas already unavailable', workloads: [wl('web', { replicas: 3, revision: 2, strategy: { maxSurge: 0, maxUnavailable: 1 } })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 2, 'n3', { id: 'a2', revision: 2, ready: false })], want: [] },
  { name: 'maxSurge 2 surges two replicas at once', workloads: [wl('web', { replicas: 3, revision: 2, strategy: { maxSurge: 2 } })], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'a0' }), asg('web', 1, 'n2', { id: 'a1' }), asg('web', 2, 'n3', { id: 'a2' })], want: ['place web#0@r2 -> n1', 'place web#1@r2 -> n2'] },
  { name: 'percentages: 50% of 4 surges 2 and 25% of 4 allows 1 unavailable', workloads: [wl('web', { replicas: 4, revision: 2, strategy: { maxSurge: '50%', maxUnavailable: '25%' } })], nodes: [node('n1'), node('n2'), node('n3'), node('n4')], assignments: [0, 1, 2, 3].map((i) => asg('web', i, `n${i + 1}`, { id: `a${i}` })), want: ['remove a2 (replaced)', 'place web#0@r2 -> n1', 'place web#1@r2 -> n2', 'place web#2@r2 -> n3'] },
  { name: 'old replicas that are not ready are replaced without spending budget', workloads: [wl('web', { replicas: 2, revision: 2, strategy: { maxSurge: 0, maxUnavailable: 1 } })], nodes: [node('n1'), node('n2')], assignments: [asg('web', 0, 'n1', { id: 'a0', ready: false }), asg('web', 1, 'n2', { id: 'a1', ready: false })], want: ['remove a0 (replaced)', 'remove a1 (replaced)', 'place web#0@r2 -> n1', 'place web#1@r2 -> n2'] },
  { name: 'rollback is a new desired revision and rolls like an update', workloads: [wl('web', { replicas: 1, revision: 3 })], nodes: [node('n1'), node('n2')], assignments: [asg('web', 0, 'n1', { id: 'a0', revision: 2 }), asg('web', 0, 'n2', { id: 'b0', revision: 3 })], want: ['remove a0 (replaced)'] },
  { name: 'in-place replacement that does not fit keeps the old replica', workloads: [wl('web', { replicas: 1, revision: 2, requests: { memoryBytes: 9 * GiB }, strategy: { maxSurge: 0, maxUnavailable: 1 } })], nodes: [node('n1')], assignments: [asg('web', 0, 'n1', { id: 'a0' })], want: ['unplaceable web#0: 0/1 nodes available: 1 insufficient memory'] },
  { name: 'in-place replacement can reuse the resources of the replica it replaces', workloads: [wl('web', { replicas: 1, revision: 2, requests: { memoryBytes: 6 * GiB }, strategy: { maxSurge: 0, maxUnavailable: 1 } })], nodes: [node('n1')], assignments: [asg('web', 0, 'n1', { id: 'a0', requests: { memoryBytes: 6 * GiB } })], want: ['remove a0 (replaced)', 'place web#0@r2 -> n1'] },
  { name: 'duplicate replicas at the desired revision keep the ready one', workloads: [wl('web')], nodes: three, assignments: [asg('web', 0, 'n1', { id: 'x1', ready: false }), asg('web', 0, 'n2', { id: 'x2' })], want: ['remove x1 (replaced)'] },
  { name: 'maxSurge and maxUnavailable both 0 is refused', workloads: [wl('web', { strategy: { maxSurge: 0, maxUnavailable: 0 } })], nodes: three, want: ['invalid web: failed to roll out workload "web": maxSurge and maxUnavailable resolve to 0 for 1 replicas, so no replica could ever be replaced'] },
  { name: 'a malformed percentage is refused by name', workloads: [wl('web', { strategy: { maxSurge: 'lots%' as `${number}%` } })], nodes: three, want: ['invalid web: failed to roll out workload "web": maxSurge "lots%" is not a non-negative integer or percentage'] },
  { name: 'workloads are handled in name order', workloads: [wl('zeta'), wl('alpha')], nodes: [node('n1', { allocatable: { cpuMillis: 100, memoryBytes: GiB } })], want: ['place alpha#0@r1 -> n1', 'unplaceable zeta#0: 0/1 nodes available: 1 insufficient cpu'] },
];

for (const c of cases) {
  test(`schedule: ${c.name}`, () => {
    assert.deepEqual(schedule(c.workloads, c.nodes, c.assignments ?? []).map(show), c.want);
  });
}

test('schedule: does not mutate its inputs', () => {
  const nodes = [node('n1')];
  const workloads = [wl('web', { replicas: 2 })];
  const assignments = [asg('web', 0, 'n1', { id: 'a0' })];
  const before = JSON.stringify({ nodes, workloads, assignments });
  schedule(workloads, nodes, assignments);
  assert.equal(JSON.stringify({ nodes, workloads, assignments }), before);
});

test('resolveIntOrPercent: rounds surge up and unavailable down, refuses junk', () => {
  assert.equal(resolveIntOrPercent('25%', 10, true), 3);
  assert.equal(resolveIntOrPercent('25%', 10, false), 2);
  assert.equal(resolveIntOrPercent(2, 10, false), 2);
  assert.equal(resolveIntOrPercent(-1, 10, false), undefined);
  assert.equal(resolveIntOrPercent(1.5, 10, false), undefined);
});

test('schedule: a full rolling update converges with at most maxSurge extra and no unavailable replica', () => {
  const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
  const w = wl('web', { replicas: 3, revision: 2 });
  let assignments = [0, 1, 2].map((i) => asg('web', i, `n${i + 1}`, { id: `old${i}` }));
  for (let step = 0; step < 10; step++) {
    const decisions = schedule([w], nodes, assignments);
    if (decisions.length === 0) break;
    for (const d of decisions) {
      if (d.type === 'remove') assignments = assignments.filter((a) => a.id !== d.assignmentId);
      if (d.type === 'place') assignments.push(asg('web', d.replicaIndex, d.nodeId, { id: `new${d.replicaIndex}`, revision: d.revision, ready: true }));
      assert.notEqual(d.type, 'unplaceable');
    }
    assert.ok(assignments.length <= 4, `step ${step}: ${assignments.length} replicas exceed replicas + maxSurge`);
    assert.equal(new Set(assignments.filter((a) => a.ready).map((a) => a.replicaIndex)).size, 3);
  }
  assert.deepEqual(assignments.map((a) => `${a.replicaIndex}@${a.revision}`).sort(), ['0@2', '1@2', '2@2']);
});
