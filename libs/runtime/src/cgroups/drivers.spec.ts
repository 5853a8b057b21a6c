import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { createCgroupManager, type CgroupManagerOptions } from './factory.js';
import { makeFakeV1Tree, makeFakeV2Tree, type FakeTree } from './fake-tree.js';
import type { Logger } from '../logger.js';

const MiB = 1024 * 1024;

function v1(tree: FakeTree, extra: Partial<CgroupManagerOptions> = {}) {
  return createCgroupManager({ path: undefined, containerId: 'c1', root: tree.root, mountinfo: tree.mountinfo, selfCgroup: tree.selfCgroup, fs: tree.fs, ...extra });
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const l: Logger & { warnings: string[] } = { warnings, debug() {}, info() {}, error() {}, warn: (m) => void warnings.push(m), child: () => l };
  return l;
}

test('v1 fake tree: hybrid layout picks v1; default path is <own>/berth/<id> per hierarchy', async () => {
  const tree = makeFakeV1Tree('/process_api/abc');
  try {
    const m = v1(tree);
    assert.equal(m.version, 1);
    assert.equal(m.path, '/process_api/abc/berth/c1');
    await m.create();
    assert.ok(tree.exists('memory/process_api/abc/berth/c1/memory.limit_in_bytes'));
    assert.ok(tree.exists('cpu,cpuacct/berth/c1/cpu.shares'));
    assert.ok(tree.exists('net_cls,net_prio/berth/c1/cgroup.procs'));
    assert.equal(m.procsFiles().length, 8);
    await m.destroy();
    assert.ok(!tree.exists('memory/process_api/abc/berth'));
    assert.ok(tree.exists('memory/process_api/abc'));
  } finally {
    tree.cleanup();
  }
});

test('v1 fake tree: new cpuset cgroups copy cpus/mems from the parent, at every created level', async () => {
  const tree = makeFakeV1Tree();
  try {
    const m = v1(tree);
    await m.create();
    assert.equal(tree.read('cpuset/berth/cpuset.cpus'), '0-3');
    assert.equal(tree.read('cpuset/berth/c1/cpuset.cpus'), '0-3');
    assert.equal(tree.read('cpuset/berth/c1/cpuset.mems'), '0');
    await m.set({ cpu: { cpus: '1' } });
    assert.equal(tree.read('cpuset/berth/c1/cpuset.cpus'), '1');
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});

test('v1 fake tree: set writes every controller file; memory order uses the current limit', async () => {
  const tree = makeFakeV1Tree();
  try {
    const m = v1(tree);
    await m.create();
    await m.set({
      cpu: { shares: 256, quota: 20000, period: 100000 },
      memory: { limit: 128 * MiB, swap: 256 * MiB, reservation: 64 * MiB, swappiness: 0 },
      pids: { limit: 64 },
      blockIO: { weight: 100 },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
      network: { classID: 7 },
    });
    const c = (f: string): string => tree.read(f).trim();
    assert.equal(c('cpu,cpuacct/berth/c1/cpu.shares'), '256');
    assert.equal(c('cpu,cpuacct/berth/c1/cpu.cfs_quota_us'), '20000');
    assert.equal(c('memory/process_api/abc/berth/c1/memory.limit_in_bytes'), String(128 * MiB));
    assert.equal(c('memory/process_api/abc/berth/c1/memory.memsw.limit_in_bytes'), String(256 * MiB));
    assert.equal(c('memory/process_api/abc/berth/c1/memory.soft_limit_in_bytes'), String(64 * MiB));
    assert.equal(c('memory/process_api/abc/berth/c1/memory.swappiness'), '0');
    assert.equal(c('pids/berth/c1/pids.max'), '64');
    assert.equal(c('blkio/berth/c1/blkio.weight'), '100');
    assert.equal(c('devices/berth/c1/devices.allow'), 'c 1:3 rwm');
    assert.equal(c('net_cls,net_prio/berth/c1/net_cls.classid'), '7');
    const st = await m.stats();
    assert.equal(st.memory.limit, 128 * MiB);
    assert.equal(st.pids.limit, 64);
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});

test('v1 fake tree: blkio weight falls back to BFQ, else warns; missing hugetlb warns; missing freezer fails', async () => {
  const tree = makeFakeV1Tree();
  try {
    const log = recordingLogger();
    const m = v1(tree, { logger: log });
    await m.create();
    rmSync(`${tree.root}/blkio/berth/c1/blkio.weight`);
    await m.set({ blockIO: { weight: 300 }, hugepageLimits: [{ pageSize: '2MB', limit: 2 * MiB }] });
    assert.deepEqual(log.warnings, ['blkio.weight not applied: no CFQ or BFQ weight file', 'hugetlb.2MB.limit_in_bytes not applied: controller hugetlb is not mounted']);
    tree.write('blkio/berth/c1/blkio.bfq.weight', '100');
    await m.set({ blockIO: { weight: 300 } });
    assert.equal(tree.read('blkio/berth/c1/blkio.bfq.weight'), '300');
    await m.destroy();
    const noFreezer = tree.mountinfo.split('\n').filter((l) => !l.includes('freezer')).join('\n');
    const m2 = v1(tree, { mountinfo: noFreezer });
    await m2.create();
    assert.equal(await m2.freezerState(), undefined);
    await assert.rejects(m2.freeze(), { code: 'controller_unavailable', category: 'failed_precondition' });
    await m2.destroy();
  } finally {
    tree.cleanup();
  }
});

test('v1 fake tree: stats parse cpuacct, cpu.stat, memory.stat working set, oom_control, blkio', async () => {
  const tree = makeFakeV1Tree();
  try {
    const m = v1(tree);
    await m.create();
    const mem = 'memory/process_api/abc/berth/c1';
    tree.write('cpu,cpuacct/berth/c1/cpuacct.usage', '5000000000');
    tree.write('cpu,cpuacct/berth/c1/cpuacct.usage_user', '3000000000');
    tree.write('cpu,cpuacct/berth/c1/cpuacct.usage_sys', '2000000000');
    tree.write('cpu,cpuacct/berth/c1/cpu.stat', 'nr_periods 10\nnr_throttled 3\nthrottled_time 12345\n');
    tree.write(`${mem}/memory.usage_in_bytes`, String(100 * MiB));
    tree.write(`${mem}/memory.memsw.usage_in_bytes`, String(110 * MiB));
    tree.write(`${mem}/memory.stat`, `cache 1\ntotal_cache ${40 * MiB}\ntotal_rss ${60 * MiB}\ntotal_inactive_file ${30 * MiB}\n`);
    tree.write(`${mem}/memory.failcnt`, '4');
    tree.write(`${mem}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    tree.write('blkio/berth/c1/blkio.throttle.io_service_bytes', '8:0 Read 4096\n8:0 Write 8192\n8:16 Read 4096\nTotal 16384\n');
    tree.write('blkio/berth/c1/blkio.throttle.io_serviced', '8:0 Read 1\n8:0 Write 2\nTotal 3\n');
    tree.write('pids/berth/c1/pids.current', '3');
    const s = await m.stats();
    assert.deepEqual(s.cpu, { usageNanos: 5e9, userNanos: 3e9, systemNanos: 2e9, throttledPeriods: 3, throttledNanos: 12345 });
    assert.deepEqual(s.memory, { usage: 100 * MiB, limit: Infinity, workingSet: 70 * MiB, cache: 40 * MiB, rss: 60 * MiB, swap: 10 * MiB, failcnt: 4, oomKills: 2 });
    assert.deepEqual(s.pids, { current: 3, limit: Infinity });
    assert.deepEqual(s.io, { readBytes: 8192, writeBytes: 8192, readOps: 1, writeOps: 2 });
    assert.equal(await m.oomKillCount(), 2);
    tree.write('cpu,cpuacct/berth/c1/cpuacct.usage_user', '0');
    tree.write('cpu,cpuacct/berth/c1/cpuacct.usage_sys', '0');
    tree.write('cpu,cpuacct/berth/c1/cpuacct.stat', 'user 150\nsystem 50\n');
    const s2 = await m.stats();
    assert.equal(s2.cpu.userNanos, 1.5e9);
    assert.equal(s2.cpu.systemNanos, 0.5e9);
  } finally {
    tree.cleanup();
  }
});

test('v2 fake tree: controllers are delegated only in created dirs; missing controller is failed_precondition', async () => {
  const tree = makeFakeV2Tree(['cpu', 'memory', 'pids']);
  try {
    const m = createCgroupManager({ path: '/outer/c1', version: 2, root: tree.root, selfCgroup: tree.selfCgroup, fs: tree.fs });
    assert.equal(m.version, 2);
    await m.create();
    assert.equal(tree.read('outer/cgroup.subtree_control'), '+cpu +memory +pids');
    assert.equal(tree.read('outer/c1/cgroup.subtree_control'), '');
    assert.equal(tree.read('cgroup.subtree_control'), 'cpu memory pids');
    await m.set({ cpu: { shares: 2048, quota: 10000, period: 100000 }, memory: { limit: 64 * MiB, swap: 96 * MiB } });
    assert.equal(tree.read('outer/c1/cpu.weight'), '79');
    assert.equal(tree.read('outer/c1/cpu.max'), '10000 100000');
    assert.equal(tree.read('outer/c1/memory.swap.max'), String(32 * MiB));
    await assert.rejects(m.set({ blockIO: { weight: 100 } }), (e: unknown) => (e as { code?: string }).code === 'controller_unavailable' && /controller io is not enabled/.test((e as Error).message));
    await m.destroy();
    assert.ok(!existsSync(`${tree.root}/outer`));
  } finally {
    tree.cleanup();
  }
});

test('v2 fake tree: stats parse cpu.stat, memory.stat/events, io.stat', async () => {
  const tree = makeFakeV2Tree();
  try {
    const m = createCgroupManager({ path: '/c', version: 2, root: tree.root, selfCgroup: tree.selfCgroup, fs: tree.fs });
    await m.create();
    tree.write('c/cpu.stat', 'usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 30\n');
    tree.write('c/memory.current', String(50 * MiB));
    tree.write('c/memory.max', String(64 * MiB));
    tree.write('c/memory.stat', `anon ${20 * MiB}\nfile ${30 * MiB}\ninactive_file ${10 * MiB}\n`);
    tree.write('c/memory.events', 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n');
    tree.write('c/io.stat', '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=3 wios=4\n');
    const s = await m.stats();
    assert.deepEqual(s.cpu, { usageNanos: 2e6, userNanos: 1.5e6, systemNanos: 0.5e6, throttledPeriods: 1, throttledNanos: 30000 });
    assert.deepEqual(s.memory, { usage: 50 * MiB, limit: 64 * MiB, workingSet: 40 * MiB, cache: 30 * MiB, rss: 20 * MiB, swap: 0, failcnt: 5, oomKills: 1 });
    assert.deepEqual(s.io, { readBytes: 101, writeBytes: 202, readOps: 4, writeOps: 6 });
    assert.equal(await m.oomKillCount(), 1);
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});
