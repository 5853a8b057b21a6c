/**
 * Simulated agents against one in-process console gRPC listener (real mTLS on 127.0.0.1):
 * N agents register with a join token, open Watch and heartbeat; then M assignment changes are
 * made at once and the time from each change to its arrival at the affected agent is measured.
 *
 *   npx tsx bench/agents-sim.ts --agents 200 --assignments 1000 [--json out.json]
 *
 * Reports p50/p99/max propagation, time until the last agent had everything, ReportStatus
 * latency for one heartbeat round of all agents, and process RSS (console and agents share the
 * process, so it is an upper bound for the console's). Each agent has its own TLS identity, so
 * connections cannot be shared between agents; one process holds N client connections.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CertificateAuthority } from '../apps/console/src/pki/index.js';
import { AgentsServer } from '../apps/console/src/agents/agents.server.js';
import { InMemoryAssignmentStore, InMemoryFleetEvents, InMemoryJoinTokenStore, InMemoryNodeStore, RecordingRescheduler } from '../apps/console/src/agents/memory.js';
import { silentLogger } from '../apps/console/src/agents/logger.js';
import { SimAgent } from '../apps/console/src/agents/testing/sim-agent.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '200' },
    assignments: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    timeout: { type: 'string', default: '120' },
    json: { type: 'string' },
  },
});
const N = Number(values.agents);
const M = Number(values.assignments);
const CONC = Number(values.concurrency);
const TIMEOUT_MS = Number(values.timeout) * 1000;
for (const [k, v] of [['agents', N], ['assignments', M], ['concurrency', CONC]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`failed to parse --${k}: ${String(values[k])} is not a positive integer`);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
function summary(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return { count: s.length, p50: r(pct(s, 50)), p99: r(pct(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

const ca = CertificateAuthority.create();
const events = new InMemoryFleetEvents();
const assignments = new InMemoryAssignmentStore(events, Math.max(10_000, M * 2));
const tokens = new InMemoryJoinTokenStore();
tokens.add('bench-token', { expiresAt: new Date(Date.now() + 3_600_000) });
const server = new AgentsServer(
  { ca, nodes: new InMemoryNodeStore(), tokens, assignments, events, rescheduler: new RecordingRescheduler(), log: silentLogger },
  { listen: '127.0.0.1:0', keepaliveMs: 15_000 },
);
const port = await server.start();
const agents = Array.from({ length: N }, (_, i) => new SimAgent({ address: `127.0.0.1:${port}`, caPem: ca.certPem, hostname: `sim-${i}` }));

try {
  let t = performance.now();
  await pool(agents, CONC, async (a) => void (await a.register('bench-token')));
  const registerMs = performance.now() - t;

  t = performance.now();
  await pool(agents, CONC, async (a) => {
    a.watch(0);
    await a.waitFor((e) => e.event?.$case === 'snapshot', TIMEOUT_MS);
  });
  const watchMs = performance.now() - t;

  t = performance.now();
  const hb: number[] = [];
  await pool(agents, CONC, async (a) => {
    const s = performance.now();
    await a.report();
    hb.push(performance.now() - s);
  });
  const heartbeatRoundMs = performance.now() - t;

  // M changes spread round-robin over the agents, made back to back.
  const madeAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastArrival = 0;
  let pending = M;
  const allArrived = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`failed to propagate: ${pending} of ${M} changes missing after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    for (const a of agents) {
      a.waitFor((e) => {
        if (e.event?.$case !== 'upsert' || !e.event.value.assignment) return false;
        const made = madeAt.get(e.event.value.assignment.id);
        if (made === undefined) return false;
        const now = performance.now();
        latencies.push(now - made);
        lastArrival = now;
        if (--pending === 0) { clearTimeout(timer); resolve(); }
        return false;
      }, TIMEOUT_MS * 2).catch(() => {});
    }
  });
  const start = performance.now();
  for (let i = 0; i < M; i++) {
    const a = agents[i % N] as SimAgent;
    const id = `bench-${i}`;
    madeAt.set(id, performance.now());
    assignments.upsert(a.nodeId, { id, workloadId: `w${i % 50}`, workloadName: `w${i % 50}`, replicaIndex: Math.floor(i / 50), workloadRevision: 1, desiredState: 'running', spec: { image: 'busybox:1.36', command: ['sleep', '3600'], args: [], env: {}, resources: undefined, ports: [], volumes: [], restartPolicy: undefined, livenessProbe: undefined, readinessProbe: undefined, workingDir: '', user: '' } });
  }
  await allArrived;
  const result = {
    agents: N,
    assignments: M,
    registerMs: Math.round(registerMs),
    watchSnapshotAllMs: Math.round(watchMs),
    heartbeatRoundMs: Math.round(heartbeatRoundMs),
    heartbeatLatencyMs: summary(hb),
    propagationMs: summary(latencies),
    lastArrivalAfterFirstChangeMs: Math.round(lastArrival - start),
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    watchStreams: server.hub.size,
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  for (const a of agents) a.close();
  await server.stop(1000);
}
