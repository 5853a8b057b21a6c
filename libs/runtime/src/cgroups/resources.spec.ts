import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRule, planV1 } from './v1-resources.js';
import { blkioWeightToIoWeight, planV2, sharesToWeight, swapToV2 } from './v2-resources.js';

const MiB = 1024 * 1024;

test('sharesToWeight follows 1 + ((shares - 2) * 9999) / 262142', () => {
  assert.deepEqual([2, 1024, 262144, 512, 100].map(sharesToWeight), [1, 39, 10000, 20, 4]);
  assert.equal(sharesToWeight(0), 0);
  assert.deepEqual([10, 500, 1000].map(blkioWeightToIoWeight), [1, 4950, 10000]);
});

test('swapToV2: memsw total becomes swap-only; unlimited and errors', () => {
  assert.equal(swapToV2(192 * MiB, 128 * MiB), String(64 * MiB));
  assert.equal(swapToV2(128 * MiB, 128 * MiB), '0');
  assert.equal(swapToV2(-1, 128 * MiB), 'max');
  assert.equal(swapToV2(undefined, -1), 'max');
  assert.equal(swapToV2(undefined, 128 * MiB), undefined);
  assert.throws(() => swapToV2(64 * MiB, 128 * MiB), /memory\+swap 67108864 is below memory.limit 134217728/);
  assert.throws(() => swapToV2(64 * MiB, undefined), /needs a memory limit/);
});

test('planV1: memsw goes first when raising above the current limit, last when lowering', () => {
  const raise = planV1({ memory: { limit: 256 * MiB, swap: 512 * MiB } }, { memoryLimit: 128 * MiB, hasMemsw: true });
  assert.deepEqual(raise.map((w) => w.file), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
  const lower = planV1({ memory: { limit: 64 * MiB, swap: 96 * MiB } }, { memoryLimit: 128 * MiB, hasMemsw: true });
  assert.deepEqual(lower.map((w) => [w.file, w.value]), [['memory.limit_in_bytes', String(64 * MiB)], ['memory.memsw.limit_in_bytes', String(96 * MiB)]]);
  const unlimited = planV1({ memory: { limit: -1 } }, { memoryLimit: 128 * MiB, hasMemsw: true });
  assert.deepEqual(unlimited.map((w) => [w.file, w.value]), [['memory.memsw.limit_in_bytes', '-1'], ['memory.limit_in_bytes', '-1']]);
  const noAccounting = planV1({ memory: { limit: 64 * MiB, swap: 96 * MiB } }, { hasMemsw: false });
  assert.deepEqual(noAccounting.map((w) => w.file), ['memory.limit_in_bytes']);
  assert.throws(() => planV1({ memory: { limit: 64 * MiB, swap: 32 * MiB } }, { hasMemsw: true }), /linux\.resources\.memory\.swap: memory\+swap/);
});

test('planV1: cpu, cpuset, pids, blkio, hugetlb, net and memory knobs', () => {
  const w = planV1(
    {
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
      memory: { reservation: 32 * MiB, swappiness: 10, disableOOMKiller: true },
      pids: { limit: 100 },
      blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 50 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
      network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
    },
    { hasMemsw: true },
  );
  assert.deepEqual(w.map((x) => `${x.controller}:${x.file}=${x.value}`), [
    'cpu:cpu.shares=512', 'cpu:cpu.cfs_period_us=100000', 'cpu:cpu.cfs_quota_us=50000', 'cpuset:cpuset.cpus=0-1', 'cpuset:cpuset.mems=0',
    `memory:memory.soft_limit_in_bytes=${32 * MiB}`, 'memory:memory.swappiness=10', 'memory:memory.oom_control=1',
    'pids:pids.max=100',
    'blkio:blkio.weight=300', 'blkio:blkio.weight_device=8:0 200', 'blkio:blkio.throttle.read_bps_device=8:0 1048576', 'blkio:blkio.throttle.write_iops_device=8:16 50',
    `hugetlb:hugetlb.2MB.limit_in_bytes=${4 * MiB}`, 'net_cls:net_cls.classid=1048577', 'net_prio:net_prio.ifpriomap=eth0 5',
  ]);
  assert.deepEqual(planV1({ cpu: { quota: -1 }, pids: { limit: -1 } }, { hasMemsw: true }).map((x) => x.value), ['-1', 'max']);
});

test('planV1: invalid values name the field', () => {
  assert.throws(() => planV1({ cpu: { shares: 1 } }, { hasMemsw: true }), /linux\.resources\.cpu\.shares: 1 is outside 2\.\.262144/);
  assert.throws(() => planV1({ memory: { swappiness: 101 } }, { hasMemsw: true }), /memory\.swappiness/);
  assert.throws(() => planV1({ blockIO: { weight: 5 } }, { hasMemsw: true }), /blockIO\.weight/);
  assert.throws(() => planV1({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }, { hasMemsw: true }), /hugepageLimits\[0\]\.pageSize/);
  assert.throws(() => planV1({ unified: { 'memory.high': '1' } }, { hasMemsw: true }), /need cgroup v2/);
});

test('v1 device rules: deny-all, wildcards, order kept, bad input rejected', () => {
  const w = planV1(
    { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 136, minor: null, access: 'rw' }, { allow: false, type: 'b', major: 8 }] },
    { hasMemsw: true },
  );
  assert.deepEqual(w.map((x) => `${x.file} ${x.value}`), ['devices.deny a', 'devices.allow c 1:3 rwm', 'devices.allow c 136:* rw', 'devices.deny b 8:* rwm']);
  assert.equal(deviceRule({ allow: true, type: 'a', access: 'r' }, 0), 'a *:* r');
  assert.throws(() => deviceRule({ allow: true, access: 'rx' }, 2), /devices\[2\]\.access/);
  assert.throws(() => deviceRule({ allow: true, type: 'z' as 'a' }, 1), /devices\[1\]\.type/);
  assert.throws(() => deviceRule({ allow: true, type: 'c', major: -2 }, 0), /devices\[0\]\.major/);
});

test('planV2: weight conversion, cpu.max forms, memory, io.max per device, unified wins last', () => {
  const { writes, warnings } = planV2(
    {
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '1' },
      memory: { limit: 128 * MiB, swap: 192 * MiB, reservation: 64 * MiB, swappiness: 10 },
      pids: { limit: 0 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 100 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 200 }], throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 7 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 2 * MiB }],
      devices: [{ allow: false, access: 'rwm' }],
      unified: { 'memory.high': String(100 * MiB), 'cpu.weight': '77' },
    },
    { hasBfqWeight: false },
  );
  assert.deepEqual(writes.map((w) => `${w.file}=${w.value}`), [
    'cpu.weight=39', 'cpu.max=50000 100000', 'cpuset.cpus=1',
    `memory.max=${128 * MiB}`, `memory.swap.max=${64 * MiB}`, `memory.low=${64 * MiB}`,
    'pids.max=max', 'io.weight=4950', 'io.max=8:0 rbps=100 wbps=200', 'io.max=8:16 riops=7',
    `hugetlb.2MB.max=${2 * MiB}`, `memory.high=${100 * MiB}`, 'cpu.weight=77',
  ]);
  assert.deepEqual(warnings, ['memory.swappiness has no cgroup v2 equivalent']);
  assert.deepEqual(planV2({ cpu: { quota: -1, period: 50000 } }, { hasBfqWeight: false }).writes, [{ file: 'cpu.max', value: 'max 50000' }]);
  assert.deepEqual(planV2({ cpu: { quota: 20000 } }, { hasBfqWeight: false }).writes, [{ file: 'cpu.max', value: '20000' }]);
  assert.deepEqual(planV2({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 100 }] } }, { hasBfqWeight: true }).writes, [
    { file: 'io.bfq.weight', value: '500' },
    { file: 'io.bfq.weight', value: '8:0 100' },
  ]);
  assert.throws(() => planV2({ unified: { '../x': '1' } }, { hasBfqWeight: false }), /unified\["\.\.\/x"\]/);
  assert.throws(() => planV2({ unified: { 'cgroup.procs': '1' } }, { hasBfqWeight: false }), /may not be set/);
});
