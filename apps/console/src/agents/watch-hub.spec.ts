import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WatchEvent } from '@berth/proto';
import { WatchHub, type WatchSink } from './watch-hub.js';
import { InMemoryAssignmentStore, InMemoryFleetEvents } from './memory.js';
import { silentLogger } from './logger.js';
import type { AssignmentView } from './ports.js';

class FakeSink extends EventEmitter implements WatchSink {
  readonly written: WatchEvent[] = [];
  ended = false;
  errors: unknown[] = [];
  write(e: WatchEvent): boolean {
    this.written.push(e);
    return true;
  }
  end(): void {
    this.ended = true;
    this.emit('finish');
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') this.errors.push(args[0]);
    return super.emit(event, ...args);
  }
  cases(): string[] {
    return this.written.map((e) => e.event?.$case ?? '?');
  }
}

const a = (id: string): Omit<AssignmentView, 'revision'> => ({
  id, workloadId: 'w', workloadName: 'w', replicaIndex: 0, workloadRevision: 1, desiredState: 'running',
  spec: { image: 'x', command: [], args: [], env: {}, resources: undefined, ports: [], volumes: [], restartPolicy: undefined, livenessProbe: undefined, readinessProbe: undefined, workingDir: '', user: '' },
});
const tick = () => new Promise((r) => setImmediate(r));

function setup() {
  const events = new InMemoryFleetEvents();
  const store = new InMemoryAssignmentStore(events);
  const hub = new WatchHub(store, events, silentLogger, { keepaliveMs: 60_000 });
  hub.start();
  return { events, store, hub };
}

test('watch hub: a burst of changes is coalesced into few store reads and sent once each', async () => {
  const { store, hub } = setup();
  const sink = new FakeSink();
  await hub.attach('n1', 0, sink);
  const readsBefore = store.calls.changesSince;
  for (let i = 0; i < 50; i++) store.upsert('n1', a(`x${i}`));
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(sink.cases(), ['snapshot', ...Array<string>(50).fill('upsert')]);
  assert.ok(store.calls.changesSince - readsBefore <= 3, `${store.calls.changesSince - readsBefore} reads for 50 changes`);
  hub.stop();
});

test('watch hub: events for other nodes do not touch this stream or the store', async () => {
  const { store, hub } = setup();
  const sink = new FakeSink();
  await hub.attach('n1', 0, sink);
  const reads = store.calls.changesSince;
  store.upsert('n2', a('y'));
  await tick();
  assert.deepEqual(sink.cases(), ['snapshot']);
  assert.equal(store.calls.changesSince, reads);
  hub.stop();
});

test('watch hub: changes made while the initial snapshot is read are not lost', async () => {
  const { store, hub } = setup();
  const sink = new FakeSink();
  const attached = hub.attach('n1', 0, sink);
  store.upsert('n1', a('during'));
  await attached;
  for (let i = 0; i < 3; i++) await tick();
  const ids = sink.written.flatMap((e) => (e.event?.$case === 'snapshot' ? e.event.value.assignments.map((x) => x.id) : e.event?.$case === 'upsert' ? [e.event.value.assignment?.id] : []));
  assert.deepEqual(ids, ['during']);
  hub.stop();
});

test('watch hub: a closed stream is dropped from the index', async () => {
  const { hub } = setup();
  const sink = new FakeSink();
  await hub.attach('n1', 0, sink);
  assert.equal(hub.size, 1);
  sink.emit('cancelled');
  assert.equal(hub.size, 0);
  hub.stop();
});

test('watch hub: a failing store closes the stream with an error so the agent resumes', async () => {
  const events = new InMemoryFleetEvents();
  const store = new InMemoryAssignmentStore(events);
  const broken = Object.assign(Object.create(store) as InMemoryAssignmentStore, {
    snapshot: async () => { throw new Error('db down'); },
  });
  const hub = new WatchHub(broken, events, silentLogger, { keepaliveMs: 60_000 });
  const sink = new FakeSink();
  await hub.attach('n1', 0, sink);
  assert.equal(sink.errors.length, 1);
  assert.equal((sink.errors[0] as { code: number }).code, 13);
  assert.equal(hub.size, 0);
});

test('watch hub: stop ends every stream', async () => {
  const { hub } = setup();
  const s1 = new FakeSink();
  const s2 = new FakeSink();
  await hub.attach('n1', 0, s1);
  await hub.attach('n2', 0, s2);
  hub.stop();
  assert.equal(s1.ended && s2.ended, true);
});

test('watch hub: a stream cancelled before attach is not indexed', async () => {
  const { hub } = setup();
  const sink = Object.assign(new FakeSink(), { cancelled: true });
  await hub.attach('n1', 0, sink);
  assert.equal(hub.size, 0);
  assert.deepEqual(sink.cases(), []);
  hub.stop();
});
