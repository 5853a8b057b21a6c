/** Checks of linux.resources: every limit an integer in the range the kernel (and runc) accept. */
import { arrField, at, cpuListProblem, intField, isObj, Issues, objField, strField, type Obj } from './validate-util.js';

const R = 'linux.resources';

export function validateResources(issues: Issues, res: Obj): void {
  checkMemory(issues, res);
  checkCpu(issues, res);
  const pids = objField(issues, res, 'pids', R);
  if (pids) intField(issues, pids, 'limit', at(R, 'pids'), { min: 0, also: [-1], required: true });
  checkBlockIO(issues, res);
  checkDeviceRules(issues, res);
  const huge = arrField(issues, res, 'hugepageLimits', R);
  huge?.forEach((h, i) => {
    const p = at(at(R, 'hugepageLimits'), i);
    if (!isObj(h)) return issues.add(p, 'must be an object');
    const size = strField(issues, h, 'pageSize', p);
    if (size === undefined || !/^\d+(?:KB|MB|GB|TB|PB)$/.test(size)) issues.add(at(p, 'pageSize'), `invalid page size ${JSON.stringify(h.pageSize)} (e.g. "2MB")`);
    intField(issues, h, 'limit', p, { min: 0, required: true });
  });
  const unified = objField(issues, res, 'unified', R);
  if (unified) {
    for (const [k, v] of Object.entries(unified)) {
      if (typeof v !== 'string') issues.add(at(at(R, 'unified'), k), 'must be a string');
      if (k.includes('/') || k.includes('..')) issues.add(at(at(R, 'unified'), k), 'must be a file name in the cgroup directory');
    }
  }
}

function checkMemory(issues: Issues, res: Obj): void {
  const mem = objField(issues, res, 'memory', R);
  if (!mem) return;
  const p = at(R, 'memory');
  for (const key of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) intField(issues, mem, key, p, { min: 0, also: [-1] });
  intField(issues, mem, 'swappiness', p, { min: 0, max: 100 });
  const limit = mem.limit;
  const swap = mem.swap;
  if (typeof limit === 'number' && typeof swap === 'number' && limit > 0 && swap > 0 && swap < limit) {
    issues.add(at(p, 'swap'), `memory+swap limit ${swap} must not be lower than the memory limit ${limit}`);
  }
}

function checkCpu(issues: Issues, res: Obj): void {
  const cpu = objField(issues, res, 'cpu', R);
  if (!cpu) return;
  const p = at(R, 'cpu');
  intField(issues, cpu, 'shares', p, { min: 0 });
  intField(issues, cpu, 'quota', p, { min: 0, also: [-1] });
  intField(issues, cpu, 'burst', p, { min: 0 });
  intField(issues, cpu, 'period', p, { min: 0 });
  intField(issues, cpu, 'realtimeRuntime', p, { min: 0, also: [-1] });
  intField(issues, cpu, 'realtimePeriod', p, { min: 0 });
  intField(issues, cpu, 'idle', p, { min: 0, max: 1 });
  for (const key of ['cpus', 'mems']) {
    const s = strField(issues, cpu, key, p);
    const why = s === undefined ? undefined : cpuListProblem(s);
    if (why) issues.add(at(p, key), why);
  }
}

function checkBlockIO(issues: Issues, res: Obj): void {
  const bio = objField(issues, res, 'blockIO', R);
  if (!bio) return;
  const p = at(R, 'blockIO');
  // 0 means "unset" in runc's Go structs; anything else must be in the kernel's 10..1000.
  const weight = { min: 10, max: 1000, also: [0] };
  intField(issues, bio, 'weight', p, weight);
  intField(issues, bio, 'leafWeight', p, weight);
  const wd = arrField(issues, bio, 'weightDevice', p);
  wd?.forEach((d, i) => {
    const dp = at(at(p, 'weightDevice'), i);
    if (!isObj(d)) return issues.add(dp, 'must be an object');
    intField(issues, d, 'major', dp, { min: 0, required: true });
    intField(issues, d, 'minor', dp, { min: 0, required: true });
    intField(issues, d, 'weight', dp, weight);
    intField(issues, d, 'leafWeight', dp, weight);
  });
  for (const key of ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
    const list = arrField(issues, bio, key, p);
    list?.forEach((d, i) => {
      const dp = at(at(p, key), i);
      if (!isObj(d)) return issues.add(dp, 'must be an object');
      intField(issues, d, 'major', dp, { min: 0, required: true });
      intField(issues, d, 'minor', dp, { min: 0, required: true });
      intField(issues, d, 'rate', dp, { min: 0, required: true });
    });
  }
}

function checkDeviceRules(issues: Issues, res: Obj): void {
  const rules = arrField(issues, res, 'devices', R);
  rules?.forEach((d, i) => {
    const p = at(at(R, 'devices'), i);
    if (!isObj(d)) return issues.add(p, 'must be an object');
    if (typeof d.allow !== 'boolean') issues.add(at(p, 'allow'), 'must be a boolean');
    if (d.type !== undefined && d.type !== 'a' && d.type !== 'c' && d.type !== 'b') {
      issues.add(at(p, 'type'), `invalid device rule type ${JSON.stringify(d.type)} (one of a, c, b)`);
    }
    for (const key of ['major', 'minor']) if (d[key] !== null) intField(issues, d, key, p, { min: 0, also: [-1] });
    if (d.access !== undefined && (typeof d.access !== 'string' || !/^[rwm]*$/.test(d.access))) {
      issues.add(at(p, 'access'), `invalid access ${JSON.stringify(d.access)} (letters from "rwm")`);
    }
  });
}
