// End to end for the commands that need a node: a simulated agent (the console's own test
// double, apps/console/dist/agents/testing/sim-agent.js) registers with the real console over
// gRPC and answers log and exec relays; bin/berth drives nodes, rollout status, logs and exec.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, runBerth, startConsole, type RunningConsole } from './harness.js';

/** The slice of the console's SimAgent this test uses (loaded at run time from the console's build). */
interface WatchEventLike {
  event?: { $case: string; value: { assignment?: { id: string; revision: number } } };
}
interface SimAgentLike {
  nodeId: string;
  register(joinToken: string): Promise<unknown>;
  report(r: Record<string, unknown>): Promise<unknown>;
  watch(since?: number): unknown;
  waitFor(pred: (e: WatchEventLike) => boolean, timeoutMs?: number): Promise<WatchEventLike>;
  serveSessions(opts: { logLines?: { line: string; stream?: 'stdout' | 'stderr' }[]; execExitCode?: number }): unknown;
  close(): void;
}

const ROOT = repoRoot();
const SIM = join(ROOT, 'apps/console/dist/agents/testing/sim-agent.js');
const STREAMS = join(ROOT, 'apps/console/dist/streams/streams.gateway.js');
const PASSWORD = 'cli-e2e-admin-pw';
const RUNNING = 3; // agent.v1 ContainerState.CONTAINER_STATE_RUNNING
const CAP = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 };
const skip = !existsSync(SIM) || !existsSync(STREAMS) ? 'the console build has no sim agent or streams gateway (build apps/console first)' : false;

let app: RunningConsole | undefined;
let agent: SimAgentLike | undefined;
let home = '';
const berth = (args: string[], input?: string) => runBerth(ROOT, args, { HOME: home }, input === undefined ? {} : { input });

before(async () => {
  if (skip) return;
  home = await mkdtemp(join(tmpdir(), 'berth-cli-home-'));
  app = await startConsole(ROOT, PASSWORD);
});

after(async () => {
  agent?.close();
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Retries `fn` until it stops throwing (the relay needs a moment after serveSessions). */
async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

let assignmentId = '';

test('berth with a node: nodes ls/label/describe, rollout status waits for the agent to report running', { skip, timeout: 240_000 }, async () => {
  const { url, grpcAddress, dataDir } = app!;
  assert.equal((await berth(['login', '--server', url, '--username', 'admin', '--password-stdin'], PASSWORD)).code, 0);
  const { token } = JSON.parse(await readFile(join(home, '.config', 'berth', 'config.json'), 'utf8')) as { token: string };
  const jt = await fetch(`${url}/api/v1/join-tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ maxUses: 1 }) });
  assert.equal(jt.status, 201);
  const joinToken = ((await jt.json()) as { token: string }).token;

  const { SimAgent } = (await import(pathToFileURL(SIM).href)) as { SimAgent: new (o: { address: string; caPem: string; hostname: string }) => SimAgentLike };
  agent = new SimAgent({ address: grpcAddress, caPem: await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8'), hostname: 'cli-node-1' });
  await agent.register(joinToken);
  await agent.report({ node: { hostname: 'cli-node-1', agentVersion: 'sim', os: 'linux', arch: 'amd64', kernelVersion: '6.1', labels: {}, capacity: CAP, allocatable: CAP, addresses: ['127.0.0.1'], cgroupVersion: 'v1' } });
  agent.watch(0);
  await agent.waitFor((e) => e.event?.$case === 'snapshot', 10_000);

  const nodes = await berth(['nodes', 'ls']);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.match(nodes.stdout.split('\n')[1]!, /^cli-node-1\s+Ready\s+\S+\s+\S+ ago\s+sim\s+<none>$/);
  const labeled = await berth(['nodes', 'label', 'cli-node-1', 'zone=a', 'disk=ssd']);
  assert.equal(labeled.code, 0, labeled.stderr);
  assert.match(labeled.stdout, /^node\/cli-node-1 labeled: (disk=ssd,zone=a|zone=a,disk=ssd)\n$/);
  assert.equal((await berth(['nodes', 'label', 'cli-node-1', 'disk-'])).stdout, 'node/cli-node-1 labeled: zone=a\n');

  // A workload placed on the node by its selector; the rollout completes once the agent reports it running.
  const file = join(home, 'web.yaml');
  await writeFile(file, 'name: web\nspec:\n  image: web:1\n  nodeSelector: {zone: a}\n');
  assert.equal((await berth(['workloads', 'apply', '-f', file])).code, 0);
  const up = await agent.waitFor((e) => e.event?.$case === 'upsert', 10_000);
  const a = up.event!.value.assignment!;
  assignmentId = a.id;
  const pending = await berth(['workloads', 'rollout', 'status', 'web', '--timeout', '1s', '--interval', '200ms']);
  assert.equal(pending.code, 1);
  assert.match(pending.stdout, /0 of 1 replicas ready, 1 up-to-date/);
  await agent.report({ containers: [{ assignmentId: a.id, containerId: 'c1', state: RUNNING, exitCode: 0, restartCount: 0, reason: '', message: '', ready: true, startedAtUnixMs: Date.now(), finishedAtUnixMs: 0, imageDigest: 'sha256:00', revision: a.revision }] });
  const rolled = await berth(['workloads', 'rollout', 'status', 'web', '--timeout', '20s', '--interval', '200ms']);
  assert.equal(rolled.code, 0, rolled.stderr);
  assert.match(rolled.stdout, /workload\/web successfully rolled out \(revision 1, 1\/1 ready\)\n$/);
  assert.match((await berth(['workloads', 'ls'])).stdout, /\nweb\s+1\/1\s+1\s+1\s+web:1\s/);
  assert.match((await berth(['nodes', 'describe', 'cli-node-1'])).stdout, new RegExp(`\\nweb\\s+0\\s+1\\s+running\\s+running\\s+0\\s+${a.id}\\n`));
});

test('berth with a node: logs and exec through the console\'s WebSocket relay', { skip, timeout: 120_000 }, async () => {
  assert.ok(agent && assignmentId, 'needs the node and replica from the previous test');
  agent.serveSessions({ logLines: [{ line: 'one' }, { line: 'two', stream: 'stderr' }, { line: 'three' }], execExitCode: 3 });
  const logs = await eventually(async () => {
    const r = await berth(['logs', 'web']);
    assert.equal(r.code, 0, r.stderr);
    return r;
  });
  assert.deepEqual([logs.stdout, logs.stderr], ['one\nthree\n', 'two\n']);
  assert.equal((await berth(['logs', '--tail', '1', assignmentId])).stdout, 'three\n');
  const exec = await berth(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
  assert.deepEqual([exec.code, exec.stderr], [3, '']);
  const cat = await berth(['exec', '-i', 'web', '--', 'cat'], 'hello\n');
  assert.deepEqual([cat.code, cat.stdout], [3, 'hello\n']);
  const missing = await berth(['logs', '00000000-0000-4000-8000-000000000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^berth: failed to .+\n$/);
});

test('berth with a node: drain cordons the node', { skip, timeout: 60_000 }, async () => {
  assert.ok(agent, 'needs the node from the first test');
  const drained = await berth(['nodes', 'drain', 'cli-node-1']);
  assert.deepEqual([drained.code, drained.stdout], [0, 'node/cli-node-1 draining\n']);
  assert.match((await berth(['nodes', 'ls'])).stdout.split('\n')[1]!, /^cli-node-1\s+Ready,Draining\s/);
});
