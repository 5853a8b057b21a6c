import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, TAG } from '../process/index.js';
import { encodePlanMessage } from '../process/plan.js';
import { defaultSpec } from '../spec/index.js';
import type { CgroupManager } from '../cgroups/types.js';
import { fastPathPlan } from './fast-plan.js';
import type { ContainerRecord } from './state-store.js';

function record(edit?: (r: ContainerRecord) => void): ContainerRecord {
  const r: ContainerRecord = {
    id: 'c1', bundle: '/b', rootfs: '/b/rootfs', phase: 'created', initPid: 4242, initStartTime: 987654,
    shimPid: 4240, shimStartTime: 987650, createdAt: '2026-12-08T00:00:00Z', cgroupsPath: null,
    execFifo: '/run/x/c1/exec.fifo', annotations: {}, spec: defaultSpec({ args: ['true'] }), owner: 'root',
  };
  edit?.(r);
  return r;
}

const cgroup = {
  procsFiles: () => ['/sys/fs/cgroup/cpu/berth/c1/cgroup.procs', '/sys/fs/cgroup/cpuacct/berth/c1/cgroup.procs', '/sys/fs/cgroup/cpu/berth/c1/cgroup.procs'],
  thawedMarker: () => ({ file: '/sys/fs/cgroup/freezer/berth/c1/freezer.state', thawed: 'THAWED' }),
} as unknown as CgroupManager;

test('plan: processes, pid namespace, freezer marker and one directory per hierarchy', () => {
  const plan = fastPathPlan(record(), cgroup);
  assert.deepEqual(plan, {
    init: { pid: 4242, startTime: 987654 },
    shim: { pid: 4240, startTime: 987650 },
    ownPidNamespace: true,
    thawedMarker: { file: '/sys/fs/cgroup/freezer/berth/c1/freezer.state', thawed: 'THAWED' },
    cgroupDirs: ['/sys/fs/cgroup/cpu/berth/c1', '/sys/fs/cgroup/cpuacct/berth/c1'],
  });
  const msg = decodeMessage(encodePlanMessage(plan!));
  assert.equal(msg.kind, 3);
  assert.deepEqual(msg.records.map((r) => r.tag), [TAG.PLAN_INIT, TAG.PLAN_SHIM, TAG.PLAN_OWN_PIDNS, TAG.PLAN_FREEZER, TAG.PLAN_CGROUP, TAG.PLAN_CGROUP]);
  const init = msg.records[0]!.payload;
  assert.equal(init.length, 12);
  assert.equal(init.readUInt32LE(0), 4242);
  assert.equal(init.readBigUInt64LE(4), 987654n);
});

test('plan: none with poststart or poststop hooks; no pid namespace of its own is recorded', () => {
  for (const stage of ['poststart', 'poststop'] as const) {
    assert.equal(fastPathPlan(record((r) => (r.spec.hooks = { [stage]: [{ path: '/bin/true' }] })), cgroup), undefined, stage);
  }
  const shared = record((r) => (r.spec.linux!.namespaces = [{ type: 'mount' }, { type: 'pid', path: '/proc/1/ns/pid' }]));
  assert.equal(fastPathPlan(shared, cgroup)?.ownPidNamespace, false);
  const noMarker = { procsFiles: () => [] } as unknown as CgroupManager;
  assert.equal(fastPathPlan(record(), noMarker)?.thawedMarker, undefined);
});
