/**
 * berth-console benchmarks against a console running in its own process (run.sh starts it):
 *  1. N simulated agents (a child process, agents.ts) register, watch and heartbeat;
 *  2. REST p50/p99/throughput under a bounded load (C clients for S seconds: list/get
 *     workloads and nodes, some PUTs with If-Match) while the agents stay connected;
 *  3. propagation of one change creating M assignments (a workload with M replicas) from the
 *     REST call to each assignment's arrival on its agent's Watch stream (p50/p99/max);
 *  4. the console's RSS (its /proc status, sampled every second; the agents' RSS is separate).
 *
 *   npx tsx bench/console/bench.ts --url http://127.0.0.1:P --grpc 127.0.0.1:G --data-dir D --pid PID --out bench/results/console-STAMP
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: v } = parseArgs({
  options: {
    url: { type: 'string' }, grpc: { type: 'string' }, 'data-dir': { type: 'string' }, pid: { type: 'string' }, out: { type: 'string' },
    agents: { type: 'string', default: '2000' }, assignments: { type: 'string', default: '1000' },
    'rest-clients': { type: 'string', default: '20' }, 'rest-seconds': { type: 'string', default: '20' },
    'heartbeat-seconds': { type: 'string', default: '10' }, database: { type: 'string', default: 'pglite' },
  },
});
for (const k of ['url', 'grpc', 'data-dir', 'pid', 'out'] as const) if (!v[k]) throw new Error(`failed to start bench: --${k} is required`);
const num = (k: keyof typeof v): number => {
  const n = Number(v[k]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`failed to parse --${k}: ${String(v[k])} is not a positive integer`);
  return n;
};
const URL_ = v.url!;
const N = num('agents'), M = num('assignments'), C = num('rest-clients'), S = num('rest-seconds'), HB = num('heartbeat-seconds');
const PASSWORD = process.env['BERTH_ADMIN_PASSWORD'];
if (!PASSWORD) throw new Error('failed to start bench: BERTH_ADMIN_PASSWORD is unset');

const pct = (s: number[], p: number): number => s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
const r1 = (x: number): number => Math.round(x * 10) / 10;
const stats = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return { count: s.length, p50: r1(pct(s, 50)), p99: r1(pct(s, 99)), max: r1(s.at(-1) ?? NaN) }; };

function rss(): { rss: number; hwm: number } {
  const st = readFileSync(`/proc/${v.pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
let maxRss = 0;
const rssTimer = setInterval(() => { maxRss = Math.max(maxRss, rss().rss); }, 1000);

// Response bodies are arbitrary JSON that the bench walks freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reply = { status: number; body: any; headers: Headers };

async function call(method: string, path: string, opts: { token?: string; body?: unknown; cookie?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.cookie) headers['cookie'] = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${URL_}${path}`, { method, headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000), ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
function must(r: { status: number; body: unknown }, want: number, what: string): void {
  if (r.status !== want) throw new Error(`failed to ${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

// --- setup: token, join token, agents -------------------------------------------------------
const login = await call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: PASSWORD } });
must(login, 200, 'log in as admin');
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
const tok = await call('POST', '/api/v1/tokens', { cookie, body: { name: 'bench' } });
must(tok, 201, 'create an API token');
const token = tok.body.token as string;
const jt = await call('POST', '/api/v1/join-tokens', { token, body: { maxUses: N } });
must(jt, 201, 'create a join token');
const rssIdle = rss();

const child = fork(new URL('./agents.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const inbox: { type: string; [k: string]: unknown }[] = [];
const waiters: ((m: { type: string; [k: string]: unknown }) => void)[] = [];
child.on('message', (m: { type: string; [k: string]: unknown }) => {
  if (m.type === 'error') { console.error(`agents process: ${String(m['message'])}`); process.exitCode = 1; }
  const w = waiters.shift();
  if (w) w(m); else inbox.push(m);
});
const next = (timeoutMs: number): Promise<{ type: string; [k: string]: unknown }> => {
  const m = inbox.shift();
  if (m) return Promise.resolve(m);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`failed to hear from the agents process within ${timeoutMs} ms`)), timeoutMs);
    waiters.push((x) => { clearTimeout(t); resolve(x); });
  });
};
const expectMsg = async (type: string, timeoutMs: number) => {
  const m = await next(timeoutMs);
  if (m.type !== type) throw new Error(`failed to run agents: expected ${type}, got ${JSON.stringify(m).slice(0, 500)}`);
  return m;
};

try {
  console.error(`bench: starting ${N} agents`);
  child.send({ type: 'start', grpc: v.grpc, caPem: readFileSync(`${v['data-dir']}/pki/ca.crt`, 'utf8'), joinToken: jt.body.token, agents: N, concurrency: 50, heartbeatSeconds: HB });
  const ready = await expectMsg('ready', 300_000);
  const rssAgents = rss();
  const nodes = await call('GET', '/api/v1/nodes?limit=1', { token, timeoutMs: 60_000 }).catch(() => ({ body: undefined }));
  console.error(`bench: agents ready (register ${r1(Number(ready['registerMs']))} ms, watch ${r1(Number(ready['watchMs']))} ms); console RSS ${(rssAgents.rss / 2 ** 20).toFixed(0)} MiB`);

  // --- propagation of an M-assignment change -------------------------------------------------
  child.send({ type: 'expect', workload: 'prop' });
  await expectMsg('expecting', 10_000);
  const t0 = Date.now();
  let restMs = NaN;
  let times: number[] = [];
  let propError: string | undefined;
  try {
    const created = await call('POST', '/api/v1/workloads', { token, body: { name: 'prop', replicas: M, spec: { image: 'prop:1', resources: { requests: { cpu: 10, memory: 2 ** 20 } } } }, timeoutMs: 150_000 });
    restMs = Date.now() - t0;
    must(created, 201, 'create the propagation workload');
  } catch (err) {
    propError = (err as Error).message;
  }
  child.send({ type: 'collect', count: M, timeoutMs: 90_000 });
  const arr = await expectMsg('arrivals', 100_000);
  times = (arr['times'] as number[]).map((t) => t - t0);
  const propagation = { assignments: M, arrived: times.length, createCallMs: restMs, ...stats(times), allArrivedMs: times.length === M ? r1(Math.max(...times)) : null, ...(propError ? { error: propError } : {}) };
  console.error(`bench: propagation ${times.length}/${M} arrived, p99 ${propagation.p99} ms`);


  // --- REST load -----------------------------------------------------------------------------
  const W = 50;
  for (let i = 0; i < W; i++) must(await call('POST', '/api/v1/workloads', { token, body: { name: `rest-${i}`, replicas: 0, spec: { image: `rest:${i}` } } }), 201, `create workload rest-${i}`);
  const lat: Record<string, number[]> = { listWorkloads: [], getWorkload: [], listNodes: [], getNode: [], putWorkload: [] };
  const errors: Record<string, number> = {};
  let conflicts = 0;
  const deadline = performance.now() + S * 1000;
  const restStart = performance.now();
  await Promise.all(Array.from({ length: C }, async (_, c) => {
    let i = c;
    while (performance.now() < deadline) {
      i++;
      const roll = (i * 7919) % 100;
      const w = `rest-${i % W}`;
      const t0 = performance.now();
      let op: string;
      let r: Reply;
      try {
        if (roll < 30) { op = 'listWorkloads'; r = await call('GET', '/api/v1/workloads?limit=50', { token }); }
        else if (roll < 55) { op = 'getWorkload'; r = await call('GET', `/api/v1/workloads/${w}`, { token }); }
        else if (roll < 70) { op = 'listNodes'; r = await call('GET', '/api/v1/nodes?limit=50', { token }); }
        else if (roll < 90) { op = 'getNode'; r = await call('GET', `/api/v1/nodes/bench-${i % N}`, { token }); }
        else {
          op = 'putWorkload';
          const g = await call('GET', `/api/v1/workloads/${w}`, { token });
          r = await call('PUT', `/api/v1/workloads/${w}`, { token, headers: { 'if-match': g.headers.get('etag') ?? '' }, body: { spec: g.body.spec, replicas: 0, labels: { n: String(i) } } });
          if (r.status === 409 && r.body?.code === 'revision_conflict') { conflicts++; continue; }
        }
      } catch (err) {
        const k = (err as Error).name === 'TimeoutError' ? 'timeout (30 s)' : `network ${(err as Error).message}`;
        errors[k] = (errors[k] ?? 0) + 1;
        continue;
      }
      if (r.status >= 300) errors[`${op} ${r.status} ${r.body?.code ?? ''}`] = (errors[`${op} ${r.status} ${r.body?.code ?? ''}`] ?? 0) + 1;
      else lat[op]!.push(performance.now() - t0);
    }
  }));
  const restSeconds = (performance.now() - restStart) / 1000;
  const all = Object.values(lat).flat();
  const rest = { clients: C, seconds: r1(restSeconds), requests: all.length, throughputPerSec: r1(all.length / restSeconds), overall: stats(all), byOp: Object.fromEntries(Object.entries(lat).map(([k, xs]) => [k, stats(xs)])), errors, revisionConflicts: conflicts };
  console.error(`bench: REST ${rest.requests} requests, p99 ${rest.overall.p99} ms`);

  child.send({ type: 'stop' });
  const stopped = await expectMsg('stopped', 90_000).catch(() => undefined);
  const hbRaw = (stopped?.['heartbeat'] ?? { count: 0, errors: 0, latenciesMs: [] }) as { count: number; errors: number; latenciesMs: number[] };
  clearInterval(rssTimer);
  const final = rss();
  const result = {
    when: new Date().toISOString(),
    database: v.database,
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    agents: { count: N, registerMs: r1(Number(ready['registerMs'])), watchMs: r1(Number(ready['watchMs'])), nodesListed: nodes.body?.total ?? null, agentsProcessRssMiB: r1(Number(ready['rssBytes']) / 2 ** 20) },
    heartbeat: { intervalSeconds: HB, reports: hbRaw.count, errors: hbRaw.errors, latencyMs: stats(hbRaw.latenciesMs) },
    rest,
    propagation,
    consoleRssMiB: { idle: r1(rssIdle.rss / 2 ** 20), agentsConnected: r1(rssAgents.rss / 2 ** 20), maxSampled: r1(Math.max(maxRss, final.rss) / 2 ** 20), peakVmHWM: r1(final.hwm / 2 ** 20) },
    targets: { propagationP99Ms: 2000, consoleRssMiB: 1024 },
  };
  const verdict = (ok: boolean): string => ok ? 'met' : 'MISSED';
  const md = [
    `# berth-console bench ${result.when}`,
    '',
    `Database: ${result.database}; ${result.machine.cpus} CPUs; Node ${result.machine.node}; console and ${N} agents in separate processes on loopback.`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| agents registered + first report | ${N} in ${result.agents.registerMs} ms | |`,
    `| agents watching (snapshot received) | ${result.agents.watchMs} ms | |`,
    `| heartbeats (every ${HB} s) | ${hbRaw.count} ok, ${hbRaw.errors} errors, p50 ${result.heartbeat.latencyMs.p50} ms, p99 ${result.heartbeat.latencyMs.p99} ms | |`,
    `| REST load | ${C} clients x ${result.rest.seconds} s: ${rest.requests} ok requests, ${rest.throughputPerSec}/s, ${Object.values(errors).reduce((a, b) => a + b, 0)} errors, ${conflicts} revision conflicts | |`,
    `| REST latency p50 / p99 / max | ${rest.overall.p50} / ${rest.overall.p99} / ${rest.overall.max} ms | |`,
    ...Object.entries(rest.byOp).map(([k, s]) => `| - ${k} p50 / p99 (n) | ${s.p50} / ${s.p99} ms (${s.count}) | |`),
    `| propagation of ${M} assignments: create call | ${restMs} ms | |`,
    `| propagation p50 / p99 / max | ${propagation.p50} / ${propagation.p99} / ${propagation.max} ms (${times.length}/${M} arrived) | p99 < 2000 ms: ${verdict(propagation.p99 < 2000 && times.length === M)} |`,
    `| console RSS idle / ${N} agents / max sampled / VmHWM | ${result.consoleRssMiB.idle} / ${result.consoleRssMiB.agentsConnected} / ${result.consoleRssMiB.maxSampled} / ${result.consoleRssMiB.peakVmHWM} MiB | < 1024 MiB: ${verdict(result.consoleRssMiB.peakVmHWM < 1024)} |`,
    '',
    Object.keys(errors).length ? `REST errors: ${JSON.stringify(errors)}` : 'REST errors: none',
    ...(propError ? [`Propagation: ${propError}`] : []),
    '',
  ].join('\n');
  writeFileSync(`${v.out}.json`, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(`${v.out}.md`, md);
  console.log(md);
} finally {
  clearInterval(rssTimer);
  if (child.connected) child.kill();
}
