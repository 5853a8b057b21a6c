import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../common/errors.js';
import type { FleetEvent } from '../fleet/fleet-events.js';
import { workloadSpecSchema } from './dto/workload-spec.dto.js';
import { WorkloadsService, type WorkloadsStore } from './workloads.service.js';
import type { NewWorkload, Workload, WorkloadChange, WorkloadRevision } from './workloads.types.js';

/** In-memory WorkloadsStore with the repository's conditional-update contract. */
class FakeStore implements WorkloadsStore {
  seq = 0;
  rows = new Map<string, Workload>();
  revs: WorkloadRevision[] = [];
  async create(w: NewWorkload, by: string): Promise<Workload> {
    if (this.rows.has(w.name)) throw new ConsoleError('workload_exists', 'already_exists', 'taken');
    const row: Workload = { ...w, id: `id-${w.name}`, currentRevision: 1, revision: ++this.seq, createdAt: new Date(), updatedAt: new Date() };
    this.rows.set(w.name, row);
    this.revs.push({ id: `r-${this.seq}`, workloadId: row.id, number: 1, spec: w.spec, createdBy: by, revision: ++this.seq, createdAt: new Date() });
    return { ...row };
  }
  async findByName(name: string) {
    const r = this.rows.get(name);
    return r ? { ...r } : undefined;
  }
  async listAfter(after: string | undefined, n: number) {
    return [...this.rows.values()].filter((w) => after === undefined || w.name > after).sort((a, b) => a.name.localeCompare(b.name)).slice(0, n);
  }
  async update(name: string, revision: number, change: WorkloadChange, by: string) {
    const cur = this.rows.get(name);
    if (!cur || cur.revision !== revision) return undefined;
    const next = { ...cur, ...change, revision: ++this.seq };
    if (change.spec) {
      next.currentRevision = cur.currentRevision + 1;
      this.revs.push({ id: `r-${this.seq}`, workloadId: cur.id, number: next.currentRevision, spec: change.spec, createdBy: by, revision: this.seq, createdAt: new Date() });
    }
    this.rows.set(name, next);
    return { ...next };
  }
  async listRevisions(id: string) {
    return this.revs.filter((r) => r.workloadId === id).reverse();
  }
  async getRevision(id: string, n: number) {
    return this.revs.find((r) => r.workloadId === id && r.number === n);
  }
  async delete(name: string) {
    const w = this.rows.get(name);
    if (!w) return undefined;
    this.rows.delete(name);
    return { workload: w, removed: [{ id: 'a1', nodeId: 'n1' }] };
  }
  async currentStoreRevision() {
    return this.seq;
  }
}

function setup() {
  const store = new FakeStore();
  const published: FleetEvent[] = [];
  const svc = new WorkloadsService(store, { publish: async (e) => void published.push(...e) });
  return { store, published, svc };
}

const spec = (image: string) => workloadSpecSchema.parse({ image });

test('WorkloadsService.update: a stale revision is a revision_conflict and stores nothing', async () => {
  const { svc, store } = setup();
  const w = await svc.create({ name: 'web', labels: {}, replicas: 1, spec: spec('a:1') }, 'alice');
  await svc.update('web', w.revision, { spec: spec('a:2') }, 'alice');
  await assert.rejects(svc.update('web', w.revision, { spec: spec('a:3') }, 'bob'), (e: ConsoleError) => e.code === 'revision_conflict' && /revision \d+ is stale/.test(e.message));
  assert.equal((await store.findByName('web'))?.spec.image, 'a:2');
  assert.equal(store.revs.length, 2);
});

test('WorkloadsService.update: an identical spec does not write a new revision; events follow every change', async () => {
  const { svc, store, published } = setup();
  const w = await svc.create({ name: 'web', labels: {}, replicas: 1, spec: spec('a:1') }, 'alice');
  const same = await svc.update('web', w.revision, { spec: spec('a:1'), replicas: 3 }, 'alice');
  assert.equal(same.currentRevision, 1);
  assert.equal(same.replicas, 3);
  assert.equal(store.revs.length, 1);
  assert.deepEqual(published.map((e) => [e.kind, e.revision]), [['workload', w.revision], ['workload', same.revision]]);
});

test('WorkloadsService.update: the same spec with its keys in another order (as the database returns it) is still the same', async () => {
  const { svc, store } = setup();
  const w = await svc.create({ name: 'web', labels: {}, replicas: 1, spec: spec('a:1') }, 'alice');
  const reordered = Object.fromEntries(Object.entries(spec('a:1')).reverse()) as ReturnType<typeof spec>;
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(spec('a:1')));
  const same = await svc.update('web', w.revision, { spec: reordered }, 'alice');
  assert.equal(same.currentRevision, 1);
  assert.equal(store.revs.length, 1);
});

test('WorkloadsService.rollback: copies an old spec forward as a new revision; unknown revision is named', async () => {
  const { svc } = setup();
  const w = await svc.create({ name: 'web', labels: {}, replicas: 1, spec: spec('a:1') }, 'u');
  await svc.update('web', w.revision, { spec: spec('a:2') }, 'u');
  const rb = await svc.rollback('web', 1, undefined, 'u');
  assert.equal(rb.currentRevision, 3);
  assert.equal(rb.spec.image, 'a:1');
  assert.deepEqual((await svc.revisions('web')).map((r) => r.number), [3, 2, 1]);
  await assert.rejects(svc.rollback('web', 9, undefined, 'u'), (e: ConsoleError) => e.code === 'workload_revision_not_found' && e.errors?.[0]?.path === 'toRevision');
});

test('WorkloadsService.delete: publishes the workload and every removed assignment with its node', async () => {
  const { svc, published } = setup();
  await svc.create({ name: 'web', labels: {}, replicas: 1, spec: spec('a:1') }, 'u');
  published.length = 0;
  await svc.delete('web');
  assert.deepEqual(published.map((e) => [e.kind, e.id, e.nodeId]), [['workload', 'id-web', undefined], ['assignment', 'a1', 'n1']]);
  await assert.rejects(svc.delete('web'), (e: ConsoleError) => e.code === 'workload_not_found');
});

test('workloadSpecSchema: applies defaults and rejects limits below requests, bad probes and both-zero rollouts', () => {
  const s = workloadSpecSchema.parse({ image: 'web:1' });
  assert.deepEqual(s.updateStrategy, { maxUnavailable: 0, maxSurge: 1 });
  assert.equal(s.restartPolicy.mode, 'Always');
  const bad = workloadSpecSchema.safeParse({
    image: 'web:1',
    resources: { requests: { cpu: 500 }, limits: { cpu: 100 } },
    updateStrategy: { maxSurge: 0, maxUnavailable: '0%' },
  });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('resources.limits.cpu'));
  assert.ok(paths.includes('updateStrategy'));
  const probe = workloadSpecSchema.safeParse({ image: 'web:1', readinessProbe: { periodSeconds: 5 } });
  assert.equal(probe.success, false);
  assert.match(probe.error!.issues[0]!.message, /exactly one of exec, httpGet, tcpSocket/);
});
