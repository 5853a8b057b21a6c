/**
 * Child process of bench/console/bench.ts: N simulated agents (real mTLS gRPC clients, one
 * identity each) register with a join token, report their capacity, open Watch and heartbeat
 * every `heartbeatSeconds`. Talks to the parent over IPC:
 *   parent -> {type:'start', grpc, caPem, joinToken, agents, concurrency, heartbeatSeconds}
 *   child  -> {type:'ready', registerMs, watchMs, rssBytes}
 *   parent -> {type:'expect', workload}            child -> {type:'expecting'}
 *   parent -> {type:'collect', count, timeoutMs}   child -> {type:'arrivals', times: number[] (epoch ms)}
 *   parent -> {type:'stop'}                        child -> {type:'stopped', heartbeat: {...}}
 */
import type { WatchEvent } from '@berth/proto';
import { SimAgent } from '../../apps/console/src/agents/testing/sim-agent.js';

interface Start { type: 'start'; grpc: string; caPem: string; joinToken: string; agents: number; concurrency: number; heartbeatSeconds: number }
type Msg = Start | { type: 'expect'; workload: string } | { type: 'collect'; count: number; timeoutMs: number } | { type: 'stop' };

const send = (m: object): void => void process.send?.(m);
const RES = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 };
let agents: SimAgent[] = [];
let expected = '';
const arrivals: number[] = [];
const hb = { count: 0, errors: 0, latenciesMs: [] as number[] };
let timers: NodeJS.Timeout[] = [];

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++] as T);
  }));
}

async function start(s: Start): Promise<void> {
  agents = Array.from({ length: s.agents }, (_, i) => new SimAgent({ address: s.grpc, caPem: s.caPem, hostname: `bench-${i}` }));
  let t = performance.now();
  await pool(agents, s.concurrency, async (a) => {
    await a.register(s.joinToken);
    await a.report({ node: { hostname: a.opts.hostname, agentVersion: 'sim', os: 'linux', arch: 'amd64', kernelVersion: '6.1', labels: {}, capacity: RES, allocatable: RES, addresses: ['127.0.0.1'], cgroupVersion: 'v1' } });
  });
  const registerMs = performance.now() - t;
  t = performance.now();
  await pool(agents, s.concurrency, async (a) => {
    const call = a.watch(0);
    call.on('data', (e: WatchEvent) => {
      if (e.event?.$case === 'upsert' && e.event.value.assignment?.workloadName === expected && expected !== '') arrivals.push(Date.now());
    });
    await a.waitFor((e) => e.event?.$case === 'snapshot', 120_000);
  });
  const watchMs = performance.now() - t;
  // Heartbeats spread evenly over the interval, as real agents drift apart.
  const period = s.heartbeatSeconds * 1000;
  agents.forEach((a, i) => {
    const beat = (): void => {
      const t0 = performance.now();
      a.report().then(() => { hb.count++; hb.latenciesMs.push(performance.now() - t0); }, () => hb.errors++);
    };
    timers.push(setTimeout(() => { beat(); timers.push(setInterval(beat, period)); }, (i / agents.length) * period));
  });
  send({ type: 'ready', registerMs, watchMs, rssBytes: process.memoryUsage().rss });
}

async function collect(count: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (arrivals.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  send({ type: 'arrivals', times: [...arrivals] });
}

process.on('message', (m: Msg) => {
  const fail = (err: unknown): void => { send({ type: 'error', message: String((err as Error)?.stack ?? err) }); };
  if (m.type === 'start') start(m).catch(fail);
  else if (m.type === 'expect') { expected = m.workload; arrivals.length = 0; send({ type: 'expecting' }); }
  else if (m.type === 'collect') collect(m.count, m.timeoutMs).catch(fail);
  else if (m.type === 'stop') {
    for (const t of timers) clearTimeout(t);
    timers = [];
    send({ type: 'stopped', heartbeat: hb });
    for (const a of agents) a.close();
    setTimeout(() => process.exit(0), 500);
  }
});
process.on('disconnect', () => process.exit(0));
