/**
 * Checks of the `linux` section: namespaces, id mappings, devices, sysctls (runc's
 * libcontainer/configs/validate rules), paths, and seccomp; resources are in validate-resources.ts.
 */
import { validateResources } from './validate-resources.js';
import { arrField, at, intField, isAbs, isObj, Issues, objField, strField, strings, type Obj } from './validate-util.js';

const NAMESPACE_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
export const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
];
export const SECCOMP_FLAG_NAMES = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
];

/** kernel.* sysctls that belong to the IPC namespace (runc's validSysctlMap). */
const IPC_KERNEL_SYSCTLS = [
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
];

/** Namespace types the spec creates or joins. */
function namespaceSet(linux: Obj | undefined): Set<string> {
  const set = new Set<string>();
  const list = linux?.namespaces;
  if (Array.isArray(list)) for (const ns of list) if (isObj(ns) && typeof ns.type === 'string') set.add(ns.type);
  return set;
}

/** linux.personality domains: PER_LINUX, PER_LINUX32 from <linux/personality.h>. */
export const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function validateLinux(issues: Issues, spec: Obj): void {
  const linux = objField(issues, spec, 'linux', '');
  const ns = namespaceSet(linux);
  if (typeof spec.hostname === 'string' && spec.hostname !== '' && !ns.has('uts')) {
    issues.add('hostname', 'cannot set hostname without a UTS namespace (new or joined by path)');
  }
  if (typeof spec.domainname === 'string' && spec.domainname !== '' && !ns.has('uts')) {
    issues.add('domainname', 'cannot set domainname without a UTS namespace (new or joined by path)');
  }
  if (!linux) return;
  checkNamespaces(issues, linux);
  checkMappings(issues, linux, ns);
  checkDevices(issues, linux);
  checkSysctl(issues, linux, ns);
  const prop = strField(issues, linux, 'rootfsPropagation', 'linux');
  if (prop !== undefined && !PROPAGATIONS.includes(prop)) {
    issues.add('linux.rootfsPropagation', `invalid propagation "${prop}" (one of ${PROPAGATIONS.join(', ')})`);
  }
  for (const key of ['maskedPaths', 'readonlyPaths']) {
    const list = arrField(issues, linux, key, 'linux');
    if (!list) continue;
    strings(issues, list, at('linux', key)).forEach((p, i) => {
      if (!isAbs(p)) issues.add(at(at('linux', key), i), `must be an absolute path, got ${JSON.stringify(p)}`);
    });
  }
  const persona = objField(issues, linux, 'personality', 'linux');
  if (persona) {
    const domain = strField(issues, persona, 'domain', 'linux.personality');
    if (domain === undefined || PERSONALITY_DOMAINS[domain] === undefined) {
      issues.add('linux.personality.domain', `must be ${Object.keys(PERSONALITY_DOMAINS).join(' or ')}, got ${JSON.stringify(persona.domain)}`);
    }
    const flags = arrField(issues, persona, 'flags', 'linux.personality');
    if (flags && flags.length > 0) issues.add('linux.personality.flags', 'no personality flags are defined');
  }
  if (linux.timeOffsets !== undefined && !ns.has('time')) issues.add('linux.timeOffsets', 'requires a time namespace');
  const offsets = objField(issues, linux, 'timeOffsets', 'linux');
  if (offsets) {
    for (const [clock, v] of Object.entries(offsets)) {
      const p = at('linux.timeOffsets', clock);
      // the clocks a time namespace offsets (time_namespaces(7))
      if (clock !== 'monotonic' && clock !== 'boottime') issues.add(p, `unknown clock "${clock}" (monotonic or boottime)`);
      else if (!isObj(v)) issues.add(p, 'must be an object with secs and nanosecs');
      else {
        intField(issues, v, 'secs', p, { min: -(2 ** 53 - 1), max: 2 ** 53 - 1 });
        intField(issues, v, 'nanosecs', p, { min: 0, max: 999_999_999 });
      }
    }
  }
  const res = objField(issues, linux, 'resources', 'linux');
  if (res) validateResources(issues, res);
  const sec = objField(issues, linux, 'seccomp', 'linux');
  if (sec) checkSeccomp(issues, sec);
}

function checkNamespaces(issues: Issues, linux: Obj): void {
  const list = arrField(issues, linux, 'namespaces', 'linux');
  const seen = new Set<string>();
  list?.forEach((n, i) => {
    const p = at('linux.namespaces', i);
    if (!isObj(n)) return issues.add(p, 'must be an object');
    const type = n.type;
    if (typeof type !== 'string' || !NAMESPACE_TYPES.includes(type)) {
      issues.add(at(p, 'type'), `unknown namespace type ${JSON.stringify(type)}`);
    } else if (seen.has(type)) issues.add(at(p, 'type'), `duplicate namespace type "${type}"`);
    else seen.add(type);
    if (n.path !== undefined && n.path !== '' && !isAbs(n.path)) {
      issues.add(at(p, 'path'), `must be an absolute path, got ${JSON.stringify(n.path)}`);
    }
  });
}

function checkMappings(issues: Issues, linux: Obj, ns: Set<string>): void {
  const list = Array.isArray(linux.namespaces) ? linux.namespaces : [];
  const userNs = list.find((n): n is Obj => isObj(n) && n.type === 'user');
  const joinsUserNs = userNs !== undefined && typeof userNs.path === 'string' && userNs.path !== '';
  for (const key of ['uidMappings', 'gidMappings']) {
    const p = at('linux', key);
    const maps = arrField(issues, linux, key, 'linux');
    const present = maps !== undefined && maps.length > 0;
    if (present && !ns.has('user')) issues.add(p, 'requires a user namespace');
    if (!present && ns.has('user') && !joinsUserNs) issues.add(p, 'a new user namespace requires at least one mapping');
    maps?.forEach((m, i) => {
      const mp = at(p, i);
      if (!isObj(m)) return issues.add(mp, 'must be an object');
      intField(issues, m, 'containerID', mp, { min: 0, max: 0xffffffff, required: true });
      intField(issues, m, 'hostID', mp, { min: 0, max: 0xffffffff, required: true });
      intField(issues, m, 'size', mp, { min: 1, max: 0xffffffff, required: true });
    });
  }
}

function checkDevices(issues: Issues, linux: Obj): void {
  const list = arrField(issues, linux, 'devices', 'linux');
  list?.forEach((d, i) => {
    const p = at('linux.devices', i);
    if (!isObj(d)) return issues.add(p, 'must be an object');
    if (d.path === undefined) issues.add(at(p, 'path'), 'is required');
    else if (!isAbs(d.path)) issues.add(at(p, 'path'), `must be an absolute path, got ${JSON.stringify(d.path)}`);
    const type = d.type;
    if (type !== 'c' && type !== 'b' && type !== 'u' && type !== 'p') {
      issues.add(at(p, 'type'), `invalid device type ${JSON.stringify(type)} (one of c, b, u, p)`);
    } else if (type !== 'p') {
      intField(issues, d, 'major', p, { min: 0, required: true });
      intField(issues, d, 'minor', p, { min: 0, required: true });
    }
    intField(issues, d, 'fileMode', p, { min: 0, max: 0o7777 });
    intField(issues, d, 'uid', p, { min: 0 });
    intField(issues, d, 'gid', p, { min: 0 });
  });
}

function checkSysctl(issues: Issues, linux: Obj, ns: Set<string>): void {
  const sysctl = objField(issues, linux, 'sysctl', 'linux');
  if (!sysctl) return;
  for (const [rawKey, value] of Object.entries(sysctl)) {
    const p = at('linux.sysctl', rawKey);
    if (typeof value !== 'string') issues.add(p, 'value must be a string');
    const key = rawKey.replaceAll('/', '.');
    if (IPC_KERNEL_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) {
      if (!ns.has('ipc')) issues.add(p, `sysctl "${key}" requires a new IPC namespace`);
    } else if (key.startsWith('net.')) {
      if (!ns.has('network')) issues.add(p, `sysctl "${key}" requires a new network namespace`);
    } else if (key === 'kernel.domainname' || key === 'kernel.hostname') {
      if (!ns.has('uts')) issues.add(p, `sysctl "${key}" requires a new UTS namespace`);
    } else {
      issues.add(p, `sysctl "${key}" is not namespaced and cannot be set in a container`);
    }
  }
}

function checkSeccomp(issues: Issues, sec: Obj): void {
  const P = 'linux.seccomp';
  const def = sec.defaultAction;
  if (def === undefined) issues.add(at(P, 'defaultAction'), 'is required');
  else if (typeof def !== 'string' || !SECCOMP_ACTIONS.includes(def)) issues.add(at(P, 'defaultAction'), `unknown seccomp action ${JSON.stringify(def)}`);
  else if (def === 'SCMP_ACT_NOTIFY') issues.add(at(P, 'defaultAction'), 'SCMP_ACT_NOTIFY cannot be the default action');
  intField(issues, sec, 'defaultErrnoRet', P, { min: 0, max: 0xffff });
  const arches = arrField(issues, sec, 'architectures', P);
  if (arches) {
    strings(issues, arches, at(P, 'architectures')).forEach((a, i) => {
      if (!SECCOMP_ARCHES.includes(a)) issues.add(at(at(P, 'architectures'), i), `unknown seccomp architecture "${a}"`);
    });
  }
  const flags = arrField(issues, sec, 'flags', P);
  if (flags) {
    strings(issues, flags, at(P, 'flags')).forEach((f, i) => {
      if (!SECCOMP_FLAG_NAMES.includes(f)) issues.add(at(at(P, 'flags'), i), `unknown seccomp flag "${f}"`);
    });
  }
  const listener = strField(issues, sec, 'listenerPath', P);
  if (listener !== undefined && listener !== '' && !isAbs(listener)) issues.add(at(P, 'listenerPath'), 'must be an absolute path');
  let notify = false;
  const calls = arrField(issues, sec, 'syscalls', P);
  calls?.forEach((c, i) => {
    const p = at(at(P, 'syscalls'), i);
    if (!isObj(c)) return issues.add(p, 'must be an object');
    const names = arrField(issues, c, 'names', p);
    if (!names || names.length === 0) issues.add(at(p, 'names'), 'must list at least one syscall');
    else strings(issues, names, at(p, 'names')).forEach((n, j) => n === '' && issues.add(at(at(p, 'names'), j), 'must not be empty'));
    const action = c.action;
    if (typeof action !== 'string' || !SECCOMP_ACTIONS.includes(action)) {
      issues.add(at(p, 'action'), `unknown seccomp action ${JSON.stringify(action)}`);
    } else {
      if (action === 'SCMP_ACT_NOTIFY') notify = true;
      if (c.errnoRet !== undefined && action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
        issues.add(at(p, 'errnoRet'), `errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
      }
    }
    intField(issues, c, 'errnoRet', p, { min: 0, max: 0xffff });
    const args = arrField(issues, c, 'args', p);
    args?.forEach((a, j) => {
      const ap = at(at(p, 'args'), j);
      if (!isObj(a)) return issues.add(ap, 'must be an object');
      intField(issues, a, 'index', ap, { min: 0, max: 5, required: true });
      intField(issues, a, 'value', ap, { min: 0, required: true });
      intField(issues, a, 'valueTwo', ap, { min: 0 });
      const op = a.op;
      if (typeof op !== 'string' || !SECCOMP_OPERATORS.includes(op)) issues.add(at(ap, 'op'), `unknown seccomp operator ${JSON.stringify(op)}`);
    });
  });
  if (notify && (listener === undefined || listener === '')) issues.add(at(P, 'listenerPath'), 'is required when SCMP_ACT_NOTIFY is used');
}
