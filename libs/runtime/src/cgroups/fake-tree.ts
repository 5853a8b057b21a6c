import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { CgroupFsOps } from './fs.js';

// Test support: a cgroupfs look-alike in a temp dir. mkdir fills in the interface files the
// kernel would show; rmdir refuses (EBUSY) while children or live member pids remain, then
// removes the files. Writes are plain file writes, so the kernel's side effects (freezing,
// killing, accounting) are not emulated: those paths are tested against the real kernel.

export interface FakeTree {
  root: string;
  /** mountinfo text whose mountpoints live under /sys/fs/cgroup (re-based onto `root`). */
  mountinfo: string;
  selfCgroup: string;
  fs: CgroupFsOps;
  read(rel: string): string;
  write(rel: string, content: string): void;
  exists(rel: string): boolean;
  cleanup(): void;
}

const V1_HIERARCHIES = ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'net_cls,net_prio'];
const UNLIMITED = '9223372036854771712';

function v1Files(controllers: string[], isRoot: boolean): Record<string, string> {
  const f: Record<string, string> = { 'cgroup.procs': '', tasks: '', notify_on_release: '0' };
  for (const c of controllers) {
    if (c === 'cpu') Object.assign(f, { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.cfs_burst_us': '0', 'cpu.idle': '0', 'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '0', 'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n' });
    if (c === 'cpuacct') Object.assign(f, { 'cpuacct.usage': '0', 'cpuacct.usage_user': '0', 'cpuacct.usage_sys': '0', 'cpuacct.stat': 'user 0\nsystem 0\n' });
    if (c === 'cpuset') Object.assign(f, { 'cpuset.cpus': isRoot ? '0-3' : '', 'cpuset.mems': isRoot ? '0' : '' });
    if (c === 'memory') {
      Object.assign(f, {
        'memory.limit_in_bytes': UNLIMITED, 'memory.memsw.limit_in_bytes': UNLIMITED, 'memory.soft_limit_in_bytes': UNLIMITED,
        'memory.swappiness': '60', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.usage_in_bytes': '0',
        'memory.memsw.usage_in_bytes': '0', 'memory.failcnt': '0', 'memory.stat': 'total_cache 0\ntotal_rss 0\ntotal_inactive_file 0\n',
      });
    }
    if (c === 'devices') Object.assign(f, { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' });
    if (c === 'freezer' && !isRoot) f['freezer.state'] = 'THAWED\n';
    if (c === 'blkio') {
      for (const x of ['weight_device', 'throttle.read_bps_device', 'throttle.write_bps_device', 'throttle.read_iops_device', 'throttle.write_iops_device']) f[`blkio.${x}`] = '';
      Object.assign(f, { 'blkio.weight': '500', 'blkio.throttle.io_service_bytes': 'Total 0\n', 'blkio.throttle.io_serviced': 'Total 0\n' });
    }
    if (c === 'pids' && !isRoot) Object.assign(f, { 'pids.max': 'max', 'pids.current': '0' });
    if (c === 'net_cls') f['net_cls.classid'] = '0';
    if (c === 'net_prio') f['net_prio.ifpriomap'] = '';
  }
  return f;
}

const V2_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.max.burst': '0', 'cpu.idle': '0' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  memory: { 'memory.max': 'max', 'memory.low': '0', 'memory.swap.max': 'max', 'memory.current': '0', 'memory.swap.current': '0', 'memory.stat': 'anon 0\nfile 0\ninactive_file 0\n', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' },
  pids: { 'pids.max': 'max', 'pids.current': '0' },
  io: { 'io.weight': 'default 100', 'io.max': '', 'io.stat': '' },
  hugetlb: { 'hugetlb.2MB.max': 'max' },
};

function v2Files(enabled: string[]): Record<string, string> {
  // Core files of a pre-5.2 kernel: no cgroup.freeze/cgroup.kill (their effects need a kernel).
  const f: Record<string, string> = { 'cgroup.procs': '', 'cgroup.controllers': enabled.join(' '), 'cgroup.subtree_control': '', 'cgroup.events': 'populated 0\n', 'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n' };
  for (const c of enabled) Object.assign(f, V2_FILES[c] ?? {});
  return f;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function ebusy(path: string): Error {
  return Object.assign(new Error(`EBUSY: resource busy or locked, rmdir '${path}'`), { code: 'EBUSY', path });
}

function makeOps(filesFor: (dir: string) => Record<string, string>): CgroupFsOps {
  return {
    async mkdir(path) {
      await fsp.mkdir(path);
      for (const [name, content] of Object.entries(filesFor(path))) await fsp.writeFile(join(path, name), content);
    },
    async rmdir(path) {
      if (readdirSync(path, { withFileTypes: true }).some((e) => e.isDirectory())) throw ebusy(path);
      const procs = existsSync(join(path, 'cgroup.procs')) ? readFileSync(join(path, 'cgroup.procs'), 'utf8') : '';
      if (procs.split('\n').some((l) => l.trim() && alive(Number(l)))) throw ebusy(path);
      await fsp.rm(path, { recursive: true });
    },
  };
}

function tree(root: string, mountinfo: string, selfCgroup: string, fs: CgroupFsOps): FakeTree {
  return {
    root, mountinfo, selfCgroup, fs,
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    write: (rel, content) => writeFileSync(join(root, rel), content),
    exists: (rel) => existsSync(join(root, rel)),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A v1 tree (comma-joined cpu,cpuacct and net_cls,net_prio), own cgroup `own` in memory, `/` elsewhere. */
export function makeFakeV1Tree(own = '/process_api/abc'): FakeTree {
  const root = mkdtempSync(join(tmpdir(), 'berth-cg1-'));
  const lines: string[] = [];
  const self: string[] = [];
  for (const [i, h] of V1_HIERARCHIES.entries()) {
    const dir = join(root, h);
    mkdirSync(dir);
    for (const [n, c] of Object.entries(v1Files(h.split(','), true))) writeFileSync(join(dir, n), c);
    lines.push(`${31 + i} 30 0:${28 + i} / /sys/fs/cgroup/${h} rw,nosuid,nodev,noexec,relatime shared:${10 + i} - cgroup cgroup rw,${h}`);
    self.push(`${i + 1}:${h}:${h === 'memory' ? own : '/'}`);
  }
  lines.push(`50 30 0:50 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate`);
  self.push('0::/');
  const mem = join(root, 'memory', own);
  mkdirSync(mem, { recursive: true });
  for (const [n, c] of Object.entries(v1Files(['memory'], false))) writeFileSync(join(mem, n), c);
  const filesFor = (dir: string): Record<string, string> => {
    let top = dir;
    while (dirname(top) !== root) top = dirname(top);
    return v1Files(basename(top).split(','), false);
  };
  return tree(root, `${lines.join('\n')}\n`, `${self.join('\n')}\n`, makeOps(filesFor));
}

/** A v2 tree offering `controllers` at its root; own cgroup `/`. */
export function makeFakeV2Tree(controllers = ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb']): FakeTree {
  const root = mkdtempSync(join(tmpdir(), 'berth-cg2-'));
  for (const [n, c] of Object.entries(v2Files([]))) writeFileSync(join(root, n), c);
  writeFileSync(join(root, 'cgroup.controllers'), controllers.join(' '));
  writeFileSync(join(root, 'cgroup.subtree_control'), controllers.join(' '));
  const filesFor = (dir: string): Record<string, string> => {
    const parentCtl = readFileSync(join(dirname(dir), 'cgroup.subtree_control'), 'utf8');
    return v2Files(parentCtl.split(/\s+/).filter(Boolean).map((c) => c.replace(/^\+/, '')));
  };
  const mountinfo = `40 30 0:37 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n`;
  return tree(root, mountinfo, '0::/\n', makeOps(filesFor));
}
