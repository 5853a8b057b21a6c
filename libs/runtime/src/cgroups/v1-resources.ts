import { BerthError } from '../errors.js';
import type { LinuxDeviceCgroup, LinuxResources, LinuxThrottleDevice } from '../spec/types.js';

/** One file write for the v1 driver: `value` into `<controller dir>/<file>`. */
export interface V1Write {
  controller: string;
  file: string;
  value: string;
}

/** What the planner needs to know about the current cgroup. */
export interface V1Current {
  /** Current memory.limit_in_bytes (decides the limit/memsw write order). */
  memoryLimit?: number;
  /** Whether memory.memsw.limit_in_bytes exists (swap accounting on). */
  hasMemsw: boolean;
}

export function invalidResource(field: string, msg: string): BerthError {
  return new BerthError('invalid_resources', 'invalid_argument', `failed to apply linux.resources.${field}: ${msg}`);
}

const num = (n: number): string => String(Math.trunc(n));

/** `type major:minor access` for devices.allow/deny; `a` alone for "all devices". */
export function deviceRule(d: LinuxDeviceCgroup, i: number): string {
  const type = d.type ?? 'a';
  if (!['a', 'b', 'c'].includes(type)) throw invalidResource(`devices[${i}].type`, `${JSON.stringify(type)} is not one of a, b, c`);
  const access = d.access ?? 'rwm';
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
    throw invalidResource(`devices[${i}].access`, `${JSON.stringify(access)} must be a non-empty combination of r, w, m`);
  }
  const part = (v: number | null | undefined, f: string): string => {
    if (v === undefined || v === null || v === -1) return '*';
    if (!Number.isInteger(v) || v < 0) throw invalidResource(`devices[${i}].${f}`, `${v} is not a device number`);
    return String(v);
  };
  const major = part(d.major, 'major');
  const minor = part(d.minor, 'minor');
  if (type === 'a' && major === '*' && minor === '*' && access.length === 3) return 'a';
  return `${type} ${major}:${minor} ${access}`;
}

function throttle(list: LinuxThrottleDevice[] | undefined, file: string, field: string): V1Write[] {
  return (list ?? []).map((d, i) => {
    if (!(d.rate >= 0)) throw invalidResource(`blockIO.${field}[${i}].rate`, `${d.rate} is negative`);
    return { controller: 'blkio', file, value: `${d.major}:${d.minor} ${num(d.rate)}` };
  });
}

/**
 * Memory limit and memsw (OCI `swap` is memory+swap in v1) in the order the kernel accepts:
 * memory.limit_in_bytes must never exceed memory.memsw.limit_in_bytes, so when the new memsw is
 * above the current limit (raising) memsw goes first, otherwise (lowering) the limit goes first.
 */
function memoryAndSwap(limit: number | undefined, swap: number | undefined, cur: V1Current): V1Write[] {
  const w = (file: string, v: number): V1Write => ({ controller: 'memory', file, value: v === -1 ? '-1' : num(v) });
  let memsw = swap;
  if (limit === -1 && (memsw === undefined || memsw === 0)) memsw = -1;
  if (limit !== undefined && limit !== -1 && limit < 0) throw invalidResource('memory.limit', `${limit} is negative`);
  if (memsw !== undefined && memsw !== 0 && memsw !== -1) {
    if (memsw < 0) throw invalidResource('memory.swap', `${memsw} is negative`);
    if (limit !== undefined && limit !== -1 && memsw < limit) {
      throw invalidResource('memory.swap', `memory+swap ${memsw} is below memory.limit ${limit}`);
    }
  }
  const writes: V1Write[] = [];
  const setMemsw = memsw !== undefined && memsw !== 0 && cur.hasMemsw;
  if (limit !== undefined && limit !== 0 && setMemsw) {
    const current = cur.memoryLimit ?? Infinity;
    if (memsw === -1 || current < memsw!) writes.push(w('memory.memsw.limit_in_bytes', memsw!), w('memory.limit_in_bytes', limit));
    else writes.push(w('memory.limit_in_bytes', limit), w('memory.memsw.limit_in_bytes', memsw!));
  } else {
    if (limit !== undefined && limit !== 0) writes.push(w('memory.limit_in_bytes', limit));
    if (setMemsw) writes.push(w('memory.memsw.limit_in_bytes', memsw!));
  }
  return writes;
}

/** Translates OCI LinuxResources to v1 writes, in the order they must be made. */
export function planV1(r: LinuxResources, cur: V1Current): V1Write[] {
  const out: V1Write[] = [];
  const cpu = r.cpu;
  if (cpu) {
    if (cpu.shares !== undefined && cpu.shares !== 0) {
      if (cpu.shares < 2 || cpu.shares > 262144) throw invalidResource('cpu.shares', `${cpu.shares} is outside 2..262144`);
      out.push({ controller: 'cpu', file: 'cpu.shares', value: num(cpu.shares) });
    }
    if (cpu.period !== undefined && cpu.period !== 0) out.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: num(cpu.period) });
    if (cpu.quota !== undefined && cpu.quota !== 0) out.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: cpu.quota < 0 ? '-1' : num(cpu.quota) });
    if (cpu.burst !== undefined) out.push({ controller: 'cpu', file: 'cpu.cfs_burst_us', value: num(cpu.burst) });
    if (cpu.realtimePeriod) out.push({ controller: 'cpu', file: 'cpu.rt_period_us', value: num(cpu.realtimePeriod) });
    if (cpu.realtimeRuntime) out.push({ controller: 'cpu', file: 'cpu.rt_runtime_us', value: num(cpu.realtimeRuntime) });
    if (cpu.idle !== undefined) out.push({ controller: 'cpu', file: 'cpu.idle', value: num(cpu.idle) });
    if (cpu.cpus) out.push({ controller: 'cpuset', file: 'cpuset.cpus', value: cpu.cpus });
    if (cpu.mems) out.push({ controller: 'cpuset', file: 'cpuset.mems', value: cpu.mems });
  }
  const mem = r.memory;
  if (mem) {
    out.push(...memoryAndSwap(mem.limit, mem.swap, cur));
    if (mem.reservation !== undefined && mem.reservation !== 0) {
      out.push({ controller: 'memory', file: 'memory.soft_limit_in_bytes', value: mem.reservation === -1 ? '-1' : num(mem.reservation) });
    }
    if (mem.swappiness !== undefined && mem.swappiness !== -1) {
      if (mem.swappiness < 0 || mem.swappiness > 100) throw invalidResource('memory.swappiness', `${mem.swappiness} is outside 0..100`);
      out.push({ controller: 'memory', file: 'memory.swappiness', value: num(mem.swappiness) });
    }
    if (mem.disableOOMKiller !== undefined) out.push({ controller: 'memory', file: 'memory.oom_control', value: mem.disableOOMKiller ? '1' : '0' });
  }
  if (r.pids) out.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit > 0 ? num(r.pids.limit) : 'max' });
  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined && b.weight !== 0) {
      if (b.weight < 10 || b.weight > 1000) throw invalidResource('blockIO.weight', `${b.weight} is outside 10..1000`);
      out.push({ controller: 'blkio', file: 'blkio.weight', value: num(b.weight) });
    }
    if (b.leafWeight) out.push({ controller: 'blkio', file: 'blkio.leaf_weight', value: num(b.leafWeight) });
    for (const d of b.weightDevice ?? []) {
      if (d.weight !== undefined) out.push({ controller: 'blkio', file: 'blkio.weight_device', value: `${d.major}:${d.minor} ${num(d.weight)}` });
      if (d.leafWeight !== undefined) out.push({ controller: 'blkio', file: 'blkio.leaf_weight_device', value: `${d.major}:${d.minor} ${num(d.leafWeight)}` });
    }
    out.push(...throttle(b.throttleReadBpsDevice, 'blkio.throttle.read_bps_device', 'throttleReadBpsDevice'));
    out.push(...throttle(b.throttleWriteBpsDevice, 'blkio.throttle.write_bps_device', 'throttleWriteBpsDevice'));
    out.push(...throttle(b.throttleReadIOPSDevice, 'blkio.throttle.read_iops_device', 'throttleReadIOPSDevice'));
    out.push(...throttle(b.throttleWriteIOPSDevice, 'blkio.throttle.write_iops_device', 'throttleWriteIOPSDevice'));
  }
  for (const [i, d] of (r.devices ?? []).entries()) {
    out.push({ controller: 'devices', file: d.allow ? 'devices.allow' : 'devices.deny', value: deviceRule(d, i) });
  }
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    if (!/^\d+[KMG]B$/.test(h.pageSize)) throw invalidResource(`hugepageLimits[${i}].pageSize`, `${JSON.stringify(h.pageSize)} is not like 2MB`);
    out.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.limit_in_bytes`, value: num(h.limit) });
  }
  if (r.network?.classID !== undefined) out.push({ controller: 'net_cls', file: 'net_cls.classid', value: num(r.network.classID) });
  for (const p of r.network?.priorities ?? []) out.push({ controller: 'net_prio', file: 'net_prio.ifpriomap', value: `${p.name} ${num(p.priority)}` });
  for (const [dev, l] of Object.entries(r.rdma ?? {})) {
    const parts = [l.hcaHandles !== undefined ? `hca_handle=${l.hcaHandles}` : '', l.hcaObjects !== undefined ? `hca_object=${l.hcaObjects}` : ''].filter(Boolean);
    if (parts.length) out.push({ controller: 'rdma', file: 'rdma.max', value: `${dev} ${parts.join(' ')}` });
  }
  if (r.unified && Object.keys(r.unified).length > 0) {
    throw invalidResource('unified', `keys ${Object.keys(r.unified).join(', ')} need cgroup v2; this host uses v1 for controllers`);
  }
  return out;
}
