import type { LinuxResources } from '../spec/types.js';
import { invalidResource } from './v1-resources.js';

/** One file write for the v2 driver, into the container's cgroup directory. */
export interface V2Write {
  file: string;
  value: string;
}

/** What the planner needs to know about the target cgroup. */
export interface V2Current {
  /** Whether io.bfq.weight exists (BFQ scheduler): weights then go there, unconverted. */
  hasBfqWeight: boolean;
}

const num = (n: number): string => String(Math.trunc(n));

/**
 * cpu.shares (2..262144) -> cpu.weight (1..10000), the kernel's and runc's mapping:
 * 1 + ((shares - 2) * 9999) / 262142, integer division. 0 means "unset" (returns 0).
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) -> io.weight (1..10000), as runc does. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap (memory+swap) -> memory.swap.max (swap only): swap - limit; -1 -> max;
 * limit -1 with swap unset -> max; 0/unset -> no write (undefined).
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  if (limit === -1 && (swap === undefined || swap === 0)) return 'max';
  if (swap === undefined || swap === 0) return undefined;
  if (swap === -1) return 'max';
  if (swap < 0) throw invalidResource('memory.swap', `${swap} is negative`);
  if (limit === undefined || limit === 0 || limit === -1) {
    throw invalidResource('memory.swap', 'a swap limit needs a memory limit (OCI swap is memory+swap)');
  }
  if (swap < limit) throw invalidResource('memory.swap', `memory+swap ${swap} is below memory.limit ${limit}`);
  return num(swap - limit);
}

/** Controllers a write needs enabled in the parent's cgroup.subtree_control. */
export function controllerOf(file: string): string {
  return file.split('.')[0] ?? file;
}

/**
 * Translates OCI LinuxResources to v2 writes. `devices` are not files on v2 (the driver loads
 * them as an eBPF program, see devices-bpf.ts) and are ignored here; `unified` entries are
 * written last and win.
 * Returns the writes and warnings for fields v2 has no equivalent for.
 */
export function planV2(r: LinuxResources, cur: V2Current): { writes: V2Write[]; warnings: string[] } {
  const out: V2Write[] = [];
  const warnings: string[] = [];
  const cpu = r.cpu;
  if (cpu) {
    if (cpu.shares !== undefined && cpu.shares !== 0) {
      if (cpu.shares < 2 || cpu.shares > 262144) throw invalidResource('cpu.shares', `${cpu.shares} is outside 2..262144`);
      out.push({ file: 'cpu.weight', value: num(sharesToWeight(cpu.shares)) });
    }
    const quota = cpu.quota ?? 0;
    const period = cpu.period ?? 0;
    if (quota !== 0 || period !== 0) {
      let v = quota > 0 ? num(quota) : 'max';
      if (period !== 0) v += ` ${num(period)}`;
      out.push({ file: 'cpu.max', value: v });
    }
    if (cpu.burst !== undefined) out.push({ file: 'cpu.max.burst', value: num(cpu.burst) });
    if (cpu.idle !== undefined) out.push({ file: 'cpu.idle', value: num(cpu.idle) });
    if (cpu.realtimePeriod || cpu.realtimeRuntime) warnings.push('cpu.realtimePeriod/realtimeRuntime have no cgroup v2 equivalent');
    if (cpu.cpus) out.push({ file: 'cpuset.cpus', value: cpu.cpus });
    if (cpu.mems) out.push({ file: 'cpuset.mems', value: cpu.mems });
  }
  const mem = r.memory;
  if (mem) {
    if (mem.limit !== undefined && mem.limit !== 0) {
      if (mem.limit < -1) throw invalidResource('memory.limit', `${mem.limit} is negative`);
      out.push({ file: 'memory.max', value: mem.limit === -1 ? 'max' : num(mem.limit) });
    }
    const swap = swapToV2(mem.swap, mem.limit);
    if (swap !== undefined) out.push({ file: 'memory.swap.max', value: swap });
    if (mem.reservation !== undefined && mem.reservation !== 0) out.push({ file: 'memory.low', value: mem.reservation === -1 ? 'max' : num(mem.reservation) });
    if (mem.swappiness !== undefined && mem.swappiness !== -1) warnings.push('memory.swappiness has no cgroup v2 equivalent');
    if (mem.disableOOMKiller) warnings.push('memory.disableOOMKiller has no cgroup v2 equivalent');
  }
  if (r.pids) out.push({ file: 'pids.max', value: r.pids.limit > 0 ? num(r.pids.limit) : 'max' });
  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined && b.weight !== 0) {
      if (b.weight < 10 || b.weight > 1000) throw invalidResource('blockIO.weight', `${b.weight} is outside 10..1000`);
      out.push(cur.hasBfqWeight ? { file: 'io.bfq.weight', value: num(b.weight) } : { file: 'io.weight', value: num(blkioWeightToIoWeight(b.weight)) });
    }
    for (const d of b.weightDevice ?? []) {
      if (d.weight === undefined) continue;
      const w = cur.hasBfqWeight ? d.weight : blkioWeightToIoWeight(d.weight);
      out.push({ file: cur.hasBfqWeight ? 'io.bfq.weight' : 'io.weight', value: `${d.major}:${d.minor} ${num(w)}` });
    }
    // io.max takes one line per device with any subset of the four keys.
    const perDev = new Map<string, string[]>();
    const add = (list: { major: number; minor: number; rate: number }[] | undefined, key: string, field: string): void => {
      for (const [i, d] of (list ?? []).entries()) {
        if (!(d.rate >= 0)) throw invalidResource(`blockIO.${field}[${i}].rate`, `${d.rate} is negative`);
        const dev = `${d.major}:${d.minor}`;
        perDev.set(dev, [...(perDev.get(dev) ?? []), `${key}=${d.rate === 0 ? 'max' : num(d.rate)}`]);
      }
    };
    add(b.throttleReadBpsDevice, 'rbps', 'throttleReadBpsDevice');
    add(b.throttleWriteBpsDevice, 'wbps', 'throttleWriteBpsDevice');
    add(b.throttleReadIOPSDevice, 'riops', 'throttleReadIOPSDevice');
    add(b.throttleWriteIOPSDevice, 'wiops', 'throttleWriteIOPSDevice');
    for (const [dev, kv] of perDev) out.push({ file: 'io.max', value: `${dev} ${kv.join(' ')}` });
  }
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    if (!/^\d+[KMG]B$/.test(h.pageSize)) throw invalidResource(`hugepageLimits[${i}].pageSize`, `${JSON.stringify(h.pageSize)} is not like 2MB`);
    out.push({ file: `hugetlb.${h.pageSize}.max`, value: num(h.limit) });
  }
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    const parts = [l.hcaHandles !== undefined ? `hca_handle=${l.hcaHandles}` : '', l.hcaObjects !== undefined ? `hca_object=${l.hcaObjects}` : ''].filter(Boolean);
    if (parts.length) out.push({ file: 'rdma.max', value: `${dev} ${parts.join(' ')}` });
  }
  if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) warnings.push('network classID/priorities have no cgroup v2 equivalent');
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    if (!/^[a-z_]+\.[a-z0-9_.]+$/.test(key) || key.includes('..')) throw invalidResource(`unified[${JSON.stringify(key)}]`, 'is not a cgroup v2 interface file name');
    if (key === 'cgroup.procs' || key === 'cgroup.threads' || key === 'cgroup.subtree_control') {
      throw invalidResource(`unified[${JSON.stringify(key)}]`, 'may not be set through unified');
    }
    out.push({ file: key, value });
  }
  return { writes: out, warnings };
}
