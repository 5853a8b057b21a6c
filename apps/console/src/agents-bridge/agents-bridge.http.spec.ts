import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerState } from '@berth/proto';
import { AGENTS_CA, AgentsGateway } from '../agents/agents.module.js';
import { SimAgent } from '../agents/testing/sim-agent.js';
import { startTestApp } from '../testing/test-app.js';

// The whole console: a join token made over REST registers a simulated agent over gRPC; a
// workload made over REST is placed by the scheduler and reaches the agent's Watch stream.
test('console end to end: REST join token -> agent registers -> REST workload -> assignment on the agent Watch -> status in REST', async () => {
  const t = await startTestApp();
  const agent = new SimAgent({ address: '', caPem: '', hostname: 'sim-1', labels: { zone: 'a' } });
  try {
    const gw = t.app.get(AgentsGateway);
    const caPem = t.app.get<symbol, { certPem: string }>(AGENTS_CA, { strict: false }).certPem;
    Object.assign(agent.opts, { address: `127.0.0.1:${gw.port}`, caPem });

    const jt = await t.call('POST', '/api/v1/join-tokens', { token: t.adminToken, body: { maxUses: 1 } });
    assert.equal(jt.status, 201);
    await assert.rejects(agent.register('berthjoin_forged'));
    const reg = await agent.register(jt.body.token);
    assert.ok(reg.nodeId);
    const nodes = await t.call('GET', '/api/v1/nodes', { token: t.adminToken });
    assert.deepEqual(nodes.body.items.map((n: { name: string; status: string }) => [n.name, n.status]), [['sim-1', 'Ready']]);
    // The simulated agent's capacity is used for placement.
    await agent.report({ node: { hostname: 'sim-1', agentVersion: 'sim', os: 'linux', arch: 'amd64', kernelVersion: '6.1', labels: { zone: 'a' }, capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 }, allocatable: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 }, addresses: [], cgroupVersion: 'v1' } });

    agent.watch(0);
    await agent.waitFor((e) => e.event?.$case === 'snapshot');
    const w = await t.call('POST', '/api/v1/workloads', { token: t.adminToken, body: { name: 'web', spec: { image: 'web:1', env: { A: '1' }, resources: { requests: { cpu: 100, memory: 2 ** 26 } } } } });
    assert.equal(w.status, 201);
    const up = await agent.waitFor((e) => e.event?.$case === 'upsert', 10_000);
    assert.ok(up.event?.$case === 'upsert');
    const a = up.event.value.assignment!;
    assert.equal(a.workloadName, 'web');
    assert.equal(a.spec?.image, 'web:1');
    assert.deepEqual(a.spec?.env, { A: '1' });

    await agent.report({
      containers: [{ assignmentId: a.id, containerId: 'c1', state: ContainerState.CONTAINER_STATE_RUNNING, exitCode: 0, restartCount: 0, reason: '', message: '', ready: true, startedAtUnixMs: Date.now(), finishedAtUnixMs: 0, imageDigest: 'sha256:00', revision: a.revision }],
      observedRevision: agent.revision,
    });
    const listed = await t.call('GET', '/api/v1/assignments?node=sim-1', { token: t.adminToken });
    assert.equal(listed.body.items[0].status?.state, 'running');

    // Deleting the node over REST ends its agent's access.
    assert.equal((await t.call('DELETE', '/api/v1/nodes/sim-1', { token: t.adminToken })).status, 204);
    await assert.rejects(agent.report());
  } finally {
    agent.close();
    await t.close();
  }
});
