import type { CgroupStats } from './types.js';
import { parseFlatKeyed, parseNestedKeyed, parseValue, readOptional } from './fs.js';

// Stats readers. Files of controllers that are not present read as zero; unlimited limits
// read as Infinity. Working set follows cAdvisor: usage minus inactive file pages.

const USER_HZ = 100;

async function value(dir: string | undefined, file: string): Promise<number> {
  if (!dir) return 0;
  const t = await readOptional(dir, file);
  return t === undefined || t.trim() === '' ? 0 : parseValue(t);
}

async function keyed(dir: string | undefined, file: string): Promise<Map<string, number>> {
  return dir ? parseFlatKeyed(await readOptional(dir, file)) : new Map();
}

/** Sums `8:0 Read 123` lines of a v1 blkio file by operation. */
function blkioTotals(text: string | undefined): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of (text ?? '').split('\n')) {
    const [, op, v] = line.trim().split(/\s+/);
    if (op === 'Read') read += Number(v);
    else if (op === 'Write') write += Number(v);
  }
  return { read, write };
}

/** v1 stats; `dir(controller)` gives the controller's directory or undefined when unmounted. */
export async function statsV1(dir: (controller: string) => string | undefined): Promise<CgroupStats> {
  const acct = dir('cpuacct');
  let userNanos = await value(acct, 'cpuacct.usage_user');
  let systemNanos = await value(acct, 'cpuacct.usage_sys');
  if (acct && userNanos === 0 && systemNanos === 0) {
    const st = await keyed(acct, 'cpuacct.stat');
    userNanos = ((st.get('user') ?? 0) * 1e9) / USER_HZ;
    systemNanos = ((st.get('system') ?? 0) * 1e9) / USER_HZ;
  }
  const cpuStat = await keyed(dir('cpu'), 'cpu.stat');
  const m = dir('memory');
  const usage = await value(m, 'memory.usage_in_bytes');
  const mstat = await keyed(m, 'memory.stat');
  const memsw = await value(m, 'memory.memsw.usage_in_bytes');
  const oom = await keyed(m, 'memory.oom_control');
  const blk = dir('blkio');
  const recursive = async (file: string): Promise<string | undefined> =>
    blk ? ((await readOptional(blk, `${file}_recursive`)) ?? (await readOptional(blk, file))) : undefined;
  const bytes = blkioTotals(await recursive('blkio.throttle.io_service_bytes'));
  const ops = blkioTotals(await recursive('blkio.throttle.io_serviced'));
  return {
    cpu: {
      usageNanos: await value(acct, 'cpuacct.usage'),
      userNanos,
      systemNanos,
      throttledPeriods: cpuStat.get('nr_throttled') ?? 0,
      throttledNanos: cpuStat.get('throttled_time') ?? 0,
    },
    memory: {
      usage,
      limit: m ? await value(m, 'memory.limit_in_bytes') : Infinity,
      workingSet: Math.max(0, usage - (mstat.get('total_inactive_file') ?? 0)),
      cache: mstat.get('total_cache') ?? 0,
      rss: mstat.get('total_rss') ?? 0,
      swap: memsw > 0 ? Math.max(0, memsw - usage) : 0,
      failcnt: await value(m, 'memory.failcnt'),
      oomKills: oom.get('oom_kill') ?? 0,
    },
    pids: { current: await value(dir('pids'), 'pids.current'), limit: dir('pids') ? await value(dir('pids'), 'pids.max') : Infinity },
    io: { readBytes: bytes.read, writeBytes: bytes.write, readOps: ops.read, writeOps: ops.write },
  };
}

/** v2 stats of one cgroup directory. */
export async function statsV2(dir: string): Promise<CgroupStats> {
  const cpu = await keyed(dir, 'cpu.stat');
  const mstat = await keyed(dir, 'memory.stat');
  const events = await keyed(dir, 'memory.events');
  const usage = await value(dir, 'memory.current');
  const hasMem = (await readOptional(dir, 'memory.max')) !== undefined;
  const hasPids = (await readOptional(dir, 'pids.max')) !== undefined;
  const io = { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
  for (const kv of parseNestedKeyed(await readOptional(dir, 'io.stat')).values()) {
    io.readBytes += kv.get('rbytes') ?? 0;
    io.writeBytes += kv.get('wbytes') ?? 0;
    io.readOps += kv.get('rios') ?? 0;
    io.writeOps += kv.get('wios') ?? 0;
  }
  return {
    cpu: {
      usageNanos: (cpu.get('usage_usec') ?? 0) * 1000,
      userNanos: (cpu.get('user_usec') ?? 0) * 1000,
      systemNanos: (cpu.get('system_usec') ?? 0) * 1000,
      throttledPeriods: cpu.get('nr_throttled') ?? 0,
      throttledNanos: (cpu.get('throttled_usec') ?? 0) * 1000,
    },
    memory: {
      usage,
      limit: hasMem ? await value(dir, 'memory.max') : Infinity,
      workingSet: Math.max(0, usage - (mstat.get('inactive_file') ?? 0)),
      cache: mstat.get('file') ?? 0,
      rss: mstat.get('anon') ?? 0,
      swap: await value(dir, 'memory.swap.current'),
      failcnt: events.get('max') ?? 0,
      oomKills: events.get('oom_kill') ?? 0,
    },
    pids: { current: await value(dir, 'pids.current'), limit: hasPids ? await value(dir, 'pids.max') : Infinity },
    io,
  };
}
