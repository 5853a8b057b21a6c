import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { AGENTS_CA, AgentsGateway } from '../agents/agents.module.js';
import { SimAgent } from '../agents/testing/sim-agent.js';
import type { SimSessions } from '../agents/testing/sim-session.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

// The console on 127.0.0.1:0 with one simulated agent that runs one replica of "web" and
// answers relays (logs, stats, exec echo); WebSocket clients talk to the streams gateway.

let t: TestApp;
let agent: SimAgent;
let sessions: SimSessions;
let assignmentId = '';
let viewer = '';
let operator = '';
const CAP = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 };

before(async () => {
  t = await startTestApp();
  agent = new SimAgent({ address: '', caPem: '', hostname: 'ws-1' });
  const caPem = t.app.get<symbol, { certPem: string }>(AGENTS_CA, { strict: false }).certPem;
  Object.assign(agent.opts, { address: `127.0.0.1:${t.app.get(AgentsGateway).port}`, caPem });
  const jt = await t.call('POST', '/api/v1/join-tokens', { token: t.adminToken, body: { maxUses: 1 } });
  await agent.register(jt.body.token);
  await agent.report({ node: { hostname: 'ws-1', agentVersion: 'sim', os: 'linux', arch: 'amd64', kernelVersion: '6.1', labels: {}, capacity: CAP, allocatable: CAP, addresses: [], cgroupVersion: 'v1' } });
  agent.watch(0);
  await agent.waitFor((e) => e.event?.$case === 'snapshot');
  const w = await t.call('POST', '/api/v1/workloads', { token: t.adminToken, body: { name: 'web', spec: { image: 'web:1' } } });
  assert.equal(w.status, 201, JSON.stringify(w.body));
  const up = await agent.waitFor((e) => e.event?.$case === 'upsert', 10_000);
  assert.ok(up.event?.$case === 'upsert' && up.event.value.assignment);
  assignmentId = up.event.value.assignment.id;
  sessions = agent.serveSessions({ logLines: [{ line: 'one', timeMs: 1_000 }, { line: 'two', stream: 'stderr', timeMs: 2_000 }, { line: 'three', timeMs: 3_000 }], execExitCode: 3 });
  const gw = t.app.get(AgentsGateway);
  for (let i = 0; i < 100 && !gw.server.relay.connected().includes(agent.nodeId); i++) await new Promise((r) => setTimeout(r, 20));
  viewer = await t.tokenFor('viewer');
  operator = await t.tokenFor('operator');
});

after(async () => {
  agent?.close();
  await t?.close();
});

type Msg = Record<string, unknown> & { type: string };

/** A connected client that records messages and its close code, or the HTTP refusal. */
function connect(path: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: Msg[]; closed: Promise<{ code: number; reason: string }>; next: (pred: (m: Msg) => boolean) => Promise<Msg> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}${path}`, { headers });
    const messages: Msg[] = [];
    const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Msg;
      messages.push(m);
      for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    });
    const next = (pred: (m: Msg) => boolean) =>
      new Promise<Msg>((res, rej) => {
        const seen = messages.find(pred);
        if (seen) return res(seen);
        const timer = setTimeout(() => rej(new Error(`no matching message within 5 s; got ${JSON.stringify(messages)}`)), 5_000);
        waiters.push({ pred, resolve: (m) => { clearTimeout(timer); res(m); } });
      });
    ws.once('open', () => resolve({ ws, messages, closed, next }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => { ws.terminate(); reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) as unknown })); });
    });
    ws.once('error', (err) => reject(err));
  });
}

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });

test('streams: an upgrade without credentials, with a forged token or a viewer asking for exec is refused with HTTP 401/403 and a JSON code', async () => {
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/logs`), { status: 401, body: { code: 'unauthenticated', message: 'failed to authenticate request: send a bearer token or log in' } });
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/logs`, bearer('berth_forged')), { status: 401, body: { code: 'invalid_token', message: 'failed to authenticate request: the token is not valid' } });
  await assert.rejects(connect('/api/v1/events/stream', { cookie: 'berth_session=berths_nope' }), { status: 401, body: { code: 'invalid_token', message: 'failed to authenticate request: the token is not valid' } });
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/exec?command=sh`, bearer(viewer)), { status: 403, body: { code: 'permission_denied', message: 'failed to authorize exec stream: role viewer may not, it needs operator' } });
});

test('streams: bad requests are refused before the upgrade: unknown path 404, bad query 400 naming the field, unknown assignment 404', async () => {
  await assert.rejects(connect('/api/v1/nope', bearer(viewer)), { status: 404, body: { code: 'route_not_found', message: 'failed to open stream: "/api/v1/nope" is not a WebSocket endpoint' } });
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/logs?tail=-1`, bearer(viewer)), (err: { status: number; body: { code: string; message: string } }) => {
    assert.equal(err.status, 400);
    assert.equal(err.body.code, 'invalid_stream_request');
    assert.match(err.body.message, /^failed to open stream: tail: "-1" is not an integer/);
    return true;
  });
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/logs?folow=1`, bearer(viewer)), { status: 400, body: { code: 'invalid_stream_request', message: 'failed to open stream: folow: unknown parameter; expected follow, tail, since, timestamps', errors: [{ path: 'folow', message: 'unknown parameter; expected follow, tail, since, timestamps' }] } });
  await assert.rejects(connect(`/api/v1/assignments/${assignmentId}/exec`, bearer(operator)), (err: { status: number; body: { code: string; errors: unknown } }) => {
    assert.equal(err.status, 400);
    assert.deepEqual(err.body.errors, [{ path: 'command', message: 'give the program and its arguments as repeated command= parameters' }]);
    return true;
  });
  await assert.rejects(connect('/api/v1/assignments/00000000-0000-4000-8000-000000000000/logs', bearer(viewer)), { status: 404, body: { code: 'assignment_not_found', message: 'failed to find assignment "00000000-0000-4000-8000-000000000000": it does not exist' } });
  await assert.rejects(connect('/api/v1/events/stream?kind=pods', bearer(viewer)), { status: 400, body: { code: 'invalid_stream_request', message: 'failed to open stream: kind: "pods" is not one of workload, assignment, node, status, event', errors: [{ path: 'kind', message: '"pods" is not one of workload, assignment, node, status, event' }] } });
});

test('streams: logs with tail then follow: lines from the agent, later lines as the agent writes them, the relay cancelled on close', async () => {
  const c = await connect(`/api/v1/assignments/${assignmentId}/logs?follow=true&tail=2`, bearer(viewer));
  await c.next((m) => m['line'] === 'three');
  assert.deepEqual(c.messages.map((m) => [m['stream'], m['line']]), [['stderr', 'two'], ['stdout', 'three']]);
  assert.equal(c.messages[0]?.['time'], '1970-01-01T00:00:02.000Z');
  const req = sessions.received.at(-1);
  assert.equal(req?.frame?.$case, 'logs');
  assert.deepEqual(req?.frame?.value, { assignmentId, follow: true, tailLines: 2, sinceUnixMs: 0, timestamps: false });
  sessions.emitLog({ line: 'four' });
  await c.next((m) => m['line'] === 'four');
  const before = sessions.active;
  c.ws.close();
  await c.closed;
  for (let i = 0; i < 100 && sessions.active >= before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sessions.active, before - 1, 'the agent saw the cancel');
  assert.equal(sessions.received.at(-1)?.frame?.$case, 'cancel');
});

test('streams: logs without follow end with an end message and close 1000', async () => {
  const c = await connect(`/api/v1/assignments/${assignmentId}/logs`, bearer(viewer));
  const closed = await c.closed;
  assert.equal(closed.code, 1000);
  assert.deepEqual(c.messages.map((m) => m.type === 'log' ? m['line'] : m.type), ['one', 'two', 'three', 'four', 'end']);
});

test('streams: stats streams samples from the agent', async () => {
  const c = await connect(`/api/v1/assignments/${assignmentId}/stats?interval=20`, bearer(viewer));
  await c.next((m) => m.type === 'stats' && m['cpuUsageMicros'] === 2_000);
  assert.equal(c.messages[0]?.['memoryLimitBytes'], 64 << 20);
  c.ws.close();
  await c.closed;
});

test('streams: exec round trip: stdin echoed as stdout/stderr, resize relayed, exit code after stdin EOF', async () => {
  const c = await connect(`/api/v1/assignments/${assignmentId}/exec?command=cat&command=-&stdin=true&tty=false`, bearer(operator));
  c.ws.send(JSON.stringify({ type: 'stdin', data: Buffer.from('hello\n').toString('base64') }));
  const out = await c.next((m) => m.type === 'output');
  assert.deepEqual(out, { type: 'output', stream: 'stdout', data: Buffer.from('hello\n').toString('base64') });
  c.ws.send(JSON.stringify({ type: 'stdin', data: Buffer.from('err:x').toString('base64') }));
  assert.equal((await c.next((m) => m.type === 'output' && m['stream'] === 'stderr'))['data'], Buffer.from('err:x').toString('base64'));
  c.ws.send(JSON.stringify({ type: 'resize', columns: 120, rows: 40 }));
  c.ws.send(JSON.stringify({ type: 'stdin-eof' }));
  assert.deepEqual(await c.next((m) => m.type === 'exit'), { type: 'exit', exitCode: 3 });
  assert.equal((await c.closed).code, 1000);
  const frames = sessions.received.filter((f) => f.frame?.$case === 'execStart' || f.frame?.$case === 'execResize');
  assert.deepEqual(frames.at(-2)?.frame?.value, { assignmentId, command: ['cat', '-'], tty: false, stdin: true, env: [], workingDir: '', columns: 0, rows: 0 });
  assert.deepEqual(frames.at(-1)?.frame?.value, { columns: 120, rows: 40 });
  const audit = await t.call('GET', '/api/v1/audit?action=assignment.exec', { token: t.adminToken });
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  assert.ok(audit.body.items.some((r: { objectId: string; actorName: string; details: { command: string[] } }) => r.objectId === assignmentId && r.actorName.startsWith('operator-') && r.details.command.join(' ') === 'cat -'), JSON.stringify(audit.body.items));
});

test('streams: bad messages get error frames with stable codes and the socket stays usable', async () => {
  const c = await connect(`/api/v1/assignments/${assignmentId}/exec?command=cat&stdin=true`, bearer(operator));
  c.ws.send('{not json');
  assert.equal((await c.next((m) => m.type === 'error'))['code'], 'malformed_json');
  c.ws.send(JSON.stringify({ type: 'shout' }));
  const unknown = await c.next((m) => m['code'] === 'unknown_message_type');
  assert.equal(unknown['message'], 'failed to read stream message: type: unknown message type "shout"; expected one of stdin, stdin-eof, resize');
  c.ws.send(JSON.stringify({ type: 'resize', columns: 0, rows: 10 }));
  assert.match(String((await c.next((m) => m['code'] === 'invalid_message'))['message']), /columns: it must be an integer/);
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await c.next((m) => m['code'] === 'binary_message');
  c.ws.send(JSON.stringify({ type: 'stdin', data: Buffer.from('still here').toString('base64') }));
  await c.next((m) => m.type === 'output');
  c.ws.close();
  await c.closed;

  // Input on a logs stream is refused by the gateway (through the WebSocket exception filter).
  const l = await connect(`/api/v1/assignments/${assignmentId}/logs?follow=true`, bearer(viewer));
  l.ws.send(JSON.stringify({ type: 'stdin', data: '' }));
  assert.equal((await l.next((m) => m.type === 'error'))['code'], 'not_an_exec_stream');
  l.ws.close();
  await l.closed;
});

test('streams: an agent error ends the stream with its code and close 4503', async () => {
  sessions.close();
  const gw = t.app.get(AgentsGateway);
  for (let i = 0; i < 100 && gw.server.relay.connected().includes(agent.nodeId); i++) await new Promise((r) => setTimeout(r, 20));
  const c = await connect(`/api/v1/assignments/${assignmentId}/logs`, bearer(viewer));
  assert.equal((await c.next((m) => m.type === 'error'))['code'], 'agent_not_connected');
  assert.equal((await c.closed).code, 4503);
  sessions = agent.serveSessions({ missingAssignments: [assignmentId] });
  for (let i = 0; i < 100 && !gw.server.relay.connected().includes(agent.nodeId); i++) await new Promise((r) => setTimeout(r, 20));
  const d = await connect(`/api/v1/assignments/${assignmentId}/stats`, bearer(viewer));
  assert.deepEqual(await d.next((m) => m.type === 'error'), { type: 'error', code: 'container_not_found', message: `failed to find container of assignment ${assignmentId}: none runs here` });
  assert.equal((await d.closed).code, 4503);
});

test('streams: the events stream sees a workload created over REST, filtered by kind', async () => {
  const c = await connect('/api/v1/events/stream?kind=workload', bearer(viewer));
  const w = await t.call('POST', '/api/v1/workloads', { token: t.adminToken, body: { name: 'api', spec: { image: 'api:1' } } });
  assert.equal(w.status, 201);
  const e = await c.next((m) => m.type === 'event' && m['id'] === w.body.id);
  assert.equal(e['kind'], 'workload');
  assert.ok(Number(e['revision']) > 0);
  assert.ok(c.messages.every((m) => m['kind'] === 'workload'), 'only workload events');
  c.ws.close();
  await c.closed;
});
