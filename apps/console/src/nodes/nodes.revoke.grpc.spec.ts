import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { AGENTS_CA, AgentsGateway } from '../agents/agents.module.js';
import { SimAgent } from '../agents/testing/sim-agent.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

function simAgent(t: TestApp, hostname: string): SimAgent {
  const caPem = t.app.get<symbol, { certPem: string }>(AGENTS_CA, { strict: false }).certPem;
  return new SimAgent({ address: `127.0.0.1:${t.app.get(AgentsGateway).port}`, caPem, hostname });
}

async function joinToken(t: TestApp): Promise<string> {
  const jt = await t.call('POST', '/api/v1/join-tokens', { token: t.adminToken, body: { maxUses: 5 } });
  assert.equal(jt.status, 201);
  return jt.body.token as string;
}

function grpcError(err: unknown): ServiceError {
  assert.ok(err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number', `expected a gRPC error, got ${String(err)}`);
  return err as ServiceError;
}

for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && !process.env['BERTH_TEST_DATABASE_URL'] ? 'BERTH_TEST_DATABASE_URL is unset (run scripts/start-postgres.sh)' : false;
  test(`nodes revoke (grpc, ${backend}): the open Watch ends with PERMISSION_DENIED, later calls are refused, the node needs a new registration`, { skip }, () => revokeCutsOff(backend));
}

async function revokeCutsOff(backend: 'pglite' | 'postgres'): Promise<void> {
  const t = await startTestApp(backend);
  const agent = simAgent(t, 'sim-r');
  let again: SimAgent | undefined;
  try {
    const token = await joinToken(t);
    await agent.register(token);
    await agent.report();
    const watch = agent.watch(0);
    await agent.waitFor((e) => e.event?.$case === 'snapshot');
    const ended = new Promise<ServiceError>((resolve) => watch.on('error', resolve));

    const revoked = await t.call('POST', '/api/v1/nodes/sim-r/revoke', { token: t.adminToken });
    assert.equal(revoked.status, 200);
    const err = await ended;
    assert.equal(err.code, status.PERMISSION_DENIED);
    assert.match(err.details, /revoked/);

    const report = grpcError(await agent.report().then(() => undefined, (e: unknown) => e));
    assert.equal(report.code, status.PERMISSION_DENIED);
    const rewatch = agent.watch(0);
    const refused = await new Promise<ServiceError>((resolve) => rewatch.on('error', resolve));
    assert.equal(refused.code, status.PERMISSION_DENIED);
    const node = await t.call('GET', '/api/v1/nodes/sim-r', { token: t.adminToken });
    assert.deepEqual([node.body.status, node.body.revokedAt], ['NotReady', revoked.body.revokedAt]);

    // The revoked record keeps its name while listed: registering the same host name again is
    // refused until an operator deletes the record; then a join token gives a new identity.
    again = simAgent(t, 'sim-r');
    const taken = grpcError(await again.register(token).then(() => undefined, (e: unknown) => e));
    assert.equal(taken.code, status.ALREADY_EXISTS);
    assert.equal((await t.call('DELETE', '/api/v1/nodes/sim-r', { token: t.adminToken })).status, 204);
    const reg = await again.register(token);
    assert.notEqual(reg.nodeId, agent.nodeId);
    await again.report();
    again.watch(0);
    await again.waitFor((e) => e.event?.$case === 'snapshot');
    const back = await t.call('GET', '/api/v1/nodes/sim-r', { token: t.adminToken });
    assert.deepEqual([back.body.id, back.body.status, back.body.revokedAt], [reg.nodeId, 'Ready', null]);
    // The old certificate stays refused.
    assert.equal(grpcError(await agent.report().then(() => undefined, (e: unknown) => e)).code, status.UNAUTHENTICATED);
  } finally {
    again?.close();
    agent.close();
    await t.close();
  }
}

test('nodes revoke (grpc): an open Session stream ends with an error', async () => {
  const t = await startTestApp();
  const agent = simAgent(t, 'sim-s');
  try {
    await agent.register(await joinToken(t));
    const stream = agent.connect().session();
    const ended = new Promise<ServiceError | 'end'>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve('end'));
    });
    stream.on('data', () => undefined);
    stream.write({ sessionId: '', frame: { $case: 'hello', value: { agentVersion: 'sim' } } });
    await agent.report();
    assert.equal((await t.call('POST', '/api/v1/nodes/sim-s/revoke', { token: t.adminToken })).status, 200);
    const r = await Promise.race([ended, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 3000))]);
    assert.ok(r !== 'open' && r !== 'end', 'the Session stream is still open 3 s after the revoke');
    assert.equal(r.code, status.PERMISSION_DENIED);
  } finally {
    agent.close();
    await t.close();
  }
});
