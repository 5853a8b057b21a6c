import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { AgentServiceClient, type WatchEvent } from '@berth/proto';
import { CertificateAuthority, buildCsr } from '../pki/index.js';
import { AgentsServer } from './agents.server.js';
import { InMemoryAssignmentStore, InMemoryFleetEvents, InMemoryJoinTokenStore, InMemoryNodeStore, RecordingRescheduler } from './memory.js';
import type { AssignmentView } from './ports.js';
import { silentLogger } from './logger.js';
import { SimAgent } from './testing/sim-agent.js';

const HOUR = 3_600_000;

async function harness(o: { retain?: number; keepaliveMs?: number; graceMs?: number } = {}) {
  const ca = CertificateAuthority.create();
  const clock = { now: Date.now() };
  const nodes = new InMemoryNodeStore();
  const tokens = new InMemoryJoinTokenStore();
  const events = new InMemoryFleetEvents();
  const assignments = new InMemoryAssignmentStore(events, o.retain ?? 10_000);
  const rescheduler = new RecordingRescheduler();
  tokens.add('good-token', { expiresAt: new Date(clock.now + HOUR) });
  tokens.add('old-token', { expiresAt: new Date(clock.now - HOUR) });
  const revokedId = tokens.add('revoked-token', { expiresAt: new Date(clock.now + HOUR) });
  tokens.revoke(revokedId);
  tokens.add('once-token', { expiresAt: new Date(clock.now + HOUR), maxUses: 1 });
  const server = new AgentsServer(
    { ca, nodes, tokens, assignments, events, rescheduler, log: silentLogger },
    { listen: '127.0.0.1:0', keepaliveMs: o.keepaliveMs ?? 60_000, heartbeatGraceMs: o.graceMs ?? 40_000, now: () => new Date(clock.now) },
  );
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const agents: SimAgent[] = [];
  const agent = (hostname: string, labels?: Record<string, string>) => {
    const a = new SimAgent({ address, caPem: ca.certPem, hostname, ...(labels ? { labels } : {}) });
    agents.push(a);
    return a;
  };
  const close = async () => {
    for (const a of agents) a.close();
    await server.stop(500);
  };
  return { ca, clock, nodes, tokens, events, assignments, rescheduler, server, address, agent, close };
}
type Harness = Awaited<ReturnType<typeof harness>>;

function withHarness(fn: (h: Harness) => Promise<void>, o?: Parameters<typeof harness>[0]) {
  return async () => {
    const h = await harness(o);
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };
}

function view(id: string, o: Partial<AssignmentView> = {}): Omit<AssignmentView, 'revision'> {
  return {
    id, workloadId: 'w1', workloadName: 'web', replicaIndex: 0, workloadRevision: 1, desiredState: 'running',
    spec: { image: 'busybox:1.36', command: ['sleep'], args: ['3600'], env: { A: '1' }, resources: undefined, ports: [], volumes: [], restartPolicy: undefined, livenessProbe: undefined, readinessProbe: undefined, workingDir: '', user: '' },
    ...o,
  };
}

async function rejectsWith(p: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: ServiceError) => {
    assert.equal(err.code, code, `code ${err.code}: ${err.details}`);
    assert.match(err.details, message);
    return true;
  });
}

const isSnapshot = (e: WatchEvent) => e.event?.$case === 'snapshot';

test('agents grpc: register with a good join token issues a client certificate from the console CA', withHarness(async (h) => {
  const a = h.agent('host-a', { zone: 'z1' });
  const res = await a.register('good-token');
  const cert = new X509Certificate(res.clientCertPem);
  assert.equal(cert.subject, `CN=${res.nodeId}`);
  assert.equal(cert.verify(new X509Certificate(h.ca.certPem).publicKey), true);
  assert.equal(cert.checkPrivateKey(a.key.privateKey), true);
  assert.equal(res.caCertPem, h.ca.certPem);
  const stored = await h.nodes.get(res.nodeId);
  assert.equal(stored?.name, 'host-a');
  assert.deepEqual(stored?.labels, { zone: 'z1' });
  assert.equal(stored?.certFingerprint, cert.fingerprint256);
}));

test('agents grpc: bad, expired, revoked and used-up join tokens are refused and nothing is stored', withHarness(async (h) => {
  await rejectsWith(h.agent('x').register('wrong'), status.UNAUTHENTICATED, /failed to register node: the join token is not known/);
  await rejectsWith(h.agent('x').register('old-token'), status.UNAUTHENTICATED, /the join token has expired/);
  await rejectsWith(h.agent('x').register('revoked-token'), status.UNAUTHENTICATED, /the join token was revoked/);
  await h.agent('y').register('once-token');
  await rejectsWith(h.agent('z').register('once-token'), status.UNAUTHENTICATED, /used its maximum number of times/);
  assert.deepEqual([...h.nodes.nodes.values()].map((n) => n.name), ['y']);
}));

test('agents grpc: a malformed registration is INVALID_ARGUMENT and does not spend the token', withHarness(async (h) => {
  const a = h.agent('bad host name!');
  await rejectsWith(a.register('once-token'), status.INVALID_ARGUMENT, /node\.hostname "bad host name!" is not a valid host name/);
  const b = h.agent('ok');
  await b.register('once-token');
}));

test('agents grpc: calls without a client certificate are UNAUTHENTICATED', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  const anon = new AgentServiceClient(h.address, credentials.createSsl(Buffer.from(h.ca.certPem)));
  try {
    await rejectsWith(new Promise((res, rej) => anon.reportStatus({ containers: [], observedRevision: 0, sentAtUnixMs: 0 }, (e, r) => (e ? rej(e) : res(r)))), status.UNAUTHENTICATED, /no client certificate issued by this console/);
  } finally {
    anon.close();
  }
}));

test('agents grpc: a certificate from another CA is refused even with a valid node id', withHarness(async (h) => {
  const a = h.agent('a');
  const { nodeId } = await a.register('good-token');
  const other = CertificateAuthority.create({ commonName: 'Evil CA' });
  const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const forged = other.issueFromCsr(buildCsr(nodeId, k.privateKey, k.publicKey), { commonName: nodeId, usage: 'client' });
  a.connect({ certPem: forged.certPem, keyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  await rejectsWith(a.report(), status.UNAUTHENTICATED, /no client certificate issued by this console/);
}));

test('agents grpc: watch sends a snapshot, then only this node\'s changes', withHarness(async (h) => {
  const a = h.agent('a');
  const b = h.agent('b');
  await a.register('good-token');
  await b.register('good-token');
  h.assignments.upsert(a.nodeId, view('a1'));
  h.assignments.upsert(b.nodeId, view('b1'));
  a.watch(0);
  const snap = await a.waitFor(isSnapshot);
  assert.equal(snap.event?.$case === 'snapshot' && snap.event.value.revision, 2);
  assert.deepEqual([...a.assignments.keys()], ['a1']);
  assert.equal(a.assignments.get('a1')?.spec?.image, 'busybox:1.36');
  const before = a.events.length;
  h.assignments.upsert(b.nodeId, view('b2'));
  const up = h.assignments.upsert(a.nodeId, view('a2', { replicaIndex: 1 }));
  await a.waitFor((e) => e.event?.$case === 'upsert' && e.event.value.assignment?.id === 'a2', 5000, before);
  h.assignments.delete('a1');
  await a.waitFor((e) => e.event?.$case === 'delete', 5000, before);
  const received = a.events.slice(before).map((e) => e.event?.$case);
  assert.deepEqual(received, ['upsert', 'delete']);
  assert.deepEqual([...a.assignments.keys()], ['a2']);
  assert.equal(a.revision, up.revision + 1);
}));

test('agents grpc: resume after reconnect sends only what changed, not a snapshot', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  for (let i = 0; i < 5; i++) h.assignments.upsert(a.nodeId, view(`a${i}`, { replicaIndex: i }));
  a.watch(0);
  await a.waitFor(isSnapshot);
  a.close();
  h.assignments.upsert(a.nodeId, view('a0', { desiredState: 'stopped' }));
  h.assignments.delete('a4');
  const snapshotsBefore = h.assignments.calls.snapshot;
  const from = a.events.length;
  a.watch();
  await a.waitFor((e) => e.event?.$case === 'delete', 5000, from);
  assert.deepEqual(a.events.slice(from).map((e) => e.event?.$case), ['upsert', 'delete']);
  assert.equal(h.assignments.calls.snapshot, snapshotsBefore);
  assert.equal(a.assignments.get('a0')?.desiredState, 2);
  assert.deepEqual([...a.assignments.keys()].sort(), ['a0', 'a1', 'a2', 'a3']);
}));

test('agents grpc: resuming from before the retained history gets a fresh snapshot', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  h.assignments.upsert(a.nodeId, view('a0'));
  a.watch(0);
  await a.waitFor(isSnapshot);
  a.close();
  for (let i = 1; i <= 5; i++) h.assignments.upsert(a.nodeId, view(`a${i}`, { replicaIndex: i }));
  const from = a.events.length;
  a.watch();
  const snap = await a.waitFor(isSnapshot, 5000, from);
  assert.equal(snap.event?.$case === 'snapshot' && snap.event.value.assignments.length, 6);
}, { retain: 2 }));

test('agents grpc: keepalives arrive on an idle watch', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  a.watch(0);
  const k = await a.waitFor((e) => e.event?.$case === 'keepalive', 3000);
  assert.equal(k.event?.$case === 'keepalive' && k.event.value.revision, 0);
}, { keepaliveMs: 100 }));

test('agents grpc: status reports are heartbeats; missing them past the grace period makes the node NotReady', withHarness(async (h) => {
  const a = h.agent('a');
  const b = h.agent('b');
  await a.register('good-token');
  await b.register('good-token');
  const ack = await a.report({ containers: [{ assignmentId: 'x', containerId: 'c', state: 3, exitCode: 0, restartCount: 2, reason: '', message: '', startedAtUnixMs: 1, finishedAtUnixMs: 0, imageDigest: 'sha256:ab', ready: true, revision: 1 }] });
  assert.equal(ack.serverTimeUnixMs, h.clock.now);
  await b.report();
  assert.equal(h.nodes.nodes.get(a.nodeId)?.lastStatus?.containers[0]?.restartCount, 2);
  h.clock.now += 30_000;
  await b.report();
  h.clock.now += 15_000; // a: 45 s since its heartbeat, b: 15 s
  assert.deepEqual(await h.server.heartbeats.checkOnce(), [a.nodeId]);
  assert.equal((await h.nodes.get(a.nodeId))?.status, 'NotReady');
  assert.equal((await h.nodes.get(b.nodeId))?.status, 'Ready');
  assert.deepEqual(h.rescheduler.lost, [[a.nodeId]]);
  assert.deepEqual(await h.server.heartbeats.checkOnce(), [], 'a NotReady node is reported once');
  await a.report();
  assert.equal((await h.nodes.get(a.nodeId))?.status, 'Ready');
}));

test('agents grpc: a malformed status report is INVALID_ARGUMENT naming the field, and nothing is recorded', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  const c = { assignmentId: 'x', containerId: 'c', state: 3, exitCode: 0, restartCount: 0, reason: '', message: '', startedAtUnixMs: 1, finishedAtUnixMs: 0, imageDigest: '', ready: true, revision: 1 };
  await rejectsWith(a.report({ containers: [{ ...c, assignmentId: '' }] }), status.INVALID_ARGUMENT, /containers\[0\]\.assignment_id is empty/);
  await rejectsWith(a.report({ containers: [c, { ...c, startedAtUnixMs: 9e15 }] }), status.INVALID_ARGUMENT, /containers\[1\]\.started_at_unix_ms 9000000000000000 is not a time/);
  await rejectsWith(a.report({ containers: [{ ...c, restartCount: -1 }] }), status.INVALID_ARGUMENT, /containers\[0\]\.restart_count is negative/);
  assert.equal(h.nodes.nodes.get(a.nodeId)?.lastStatus, undefined);
}));

test('agents grpc: a revoked node is refused and its open watch is closed', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  const call = a.watch(0);
  await a.waitFor(isSnapshot);
  const closed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
  h.nodes.revoke(a.nodeId);
  h.events.emit({ kind: 'node-revoked', nodeId: a.nodeId });
  const err = await closed;
  assert.equal(err.code, status.PERMISSION_DENIED);
  assert.match(err.details, /the node was revoked/);
  await rejectsWith(a.report(), status.PERMISSION_DENIED, /the node was revoked/);
}));

test('agents grpc: a superseded certificate of the same node is refused', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const second = h.ca.issueFromCsr(buildCsr('n', k.privateKey, k.publicKey), { commonName: a.nodeId, usage: 'client' });
  a.connect({ certPem: second.certPem, keyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  await rejectsWith(a.report(), status.UNAUTHENTICATED, /not the one last issued/);
}));

test('agents grpc: session relays a logs request to the agent and its frames back', withHarness(async (h) => {
  const a = h.agent('a');
  await a.register('good-token');
  const stream = a.connect().session();
  stream.on('data', (f: { sessionId: string; frame?: { $case: string } }) => {
    if (f.frame?.$case !== 'logs') return;
    stream.write({ sessionId: f.sessionId, frame: { $case: 'log', value: { lines: [{ timeUnixMs: Date.UTC(2026, 10, 29), timeNanos: 123, stream: 'stdout', content: Buffer.from('hello'), partial: false }] } } });
    stream.write({ sessionId: f.sessionId, frame: { $case: 'end', value: {} } });
  });
  stream.write({ sessionId: '', frame: { $case: 'hello', value: { agentVersion: 'sim' } } });
  for (let i = 0; i < 50 && !h.server.relay.connected().includes(a.nodeId); i++) await new Promise((r) => setTimeout(r, 20));
  const session = h.server.relay.open(a.nodeId, { $case: 'logs', value: { assignmentId: 'a1', follow: false, tailLines: 10, sinceUnixMs: 0, timestamps: false } });
  const got: string[] = [];
  for await (const f of session.frames) got.push(f.$case === 'log' ? `${Buffer.from(f.value.lines[0]?.content ?? []).toString()}@${f.value.lines[0]?.timeUnixMs}+${f.value.lines[0]?.timeNanos}` : f.$case);
  // A current time survives the trip (in nanoseconds it was above 2^53 and broke the decoder).
  assert.deepEqual(got, [`hello@${Date.UTC(2026, 10, 29)}+123`, 'end']);
  stream.end();
  assert.throws(() => h.server.relay.open('nope', { $case: 'stats', value: { assignmentId: 'x', intervalMs: 0, stream: false } }), /the agent is not connected/);
}));
