import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { defaultSpec } from './defaults.js';
import type { Spec } from './types.js';
import { parseSpec, SpecValidationError, validateSpec } from './validate.js';

type Mutate = (s: Spec & Record<string, unknown>) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** [name, mutation of the default spec, expected issue paths (empty: valid)]. */
const cases: [string, Mutate, string[]][] = [
  ['default spec is valid', () => {}, []],
  ['scheduling: ioPriority, scheduler, execCPUAffinity, personality accepted', (s) => void ((s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 4 }), (s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] }), (s.process!.execCPUAffinity = { final: '0-1' }), (s.linux!.personality = { domain: 'LINUX32' })), []],
  ['scheduling: bad values named', (s) => void ((s.process!.ioPriority = { class: 'IOPRIO_CLASS_FAST', priority: 8 }), (s.process!.scheduler = { policy: 'SCHED_SOON', nice: 30, flags: ['SCHED_FLAG_NOPE'] }), (s.process!.execCPUAffinity = { initial: '3-1' }), (s.linux!.personality = { domain: 'WIN32', flags: ['X'] })), ['process.ioPriority.class', 'process.ioPriority.priority', 'process.scheduler.policy', 'process.scheduler.nice', 'process.scheduler.flags[0]', 'process.execCPUAffinity.initial', 'linux.personality.domain', 'linux.personality.flags']],
  ['time offsets with a time namespace', (s) => void ((s.linux!.namespaces!.push({ type: 'time' }), (s.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 5 }, boottime: { secs: -3 } }))), []],
  ['time offsets without a time namespace', (s) => void (s.linux!.timeOffsets = { monotonic: { secs: 1 } }), ['linux.timeOffsets']],
  ['time offsets: unknown clock, bad nanosecs', (s) => void ((s.linux!.namespaces!.push({ type: 'time' }), (s.linux!.timeOffsets = { realtime: { secs: 1 }, boottime: { secs: 1, nanosecs: 1e9 } }))), ['linux.timeOffsets.realtime', 'linux.timeOffsets.boottime.nanosecs']],
  ['ociVersion 1.0.2 accepted', (s) => void (s.ociVersion = '1.0.2'), []],
  ['ociVersion 1.1.0-rc.1 accepted', (s) => void (s.ociVersion = '1.1.0-rc.1'), []],
  ['ociVersion missing', (s) => void delete (s as Loose).ociVersion, ['ociVersion']],
  ['ociVersion 2.0.0 unsupported', (s) => void (s.ociVersion = '2.0.0'), ['ociVersion']],
  ['ociVersion 1.3.0 accepted (newer minor versions only add properties)', (s) => void (s.ociVersion = '1.3.0'), []],
  ['ociVersion 1.2 (not semver) unsupported', (s) => void (s.ociVersion = '1.2'), ['ociVersion']],
  ['process missing', (s) => void delete s.process, ['process']],
  ['relative cwd', (s) => void (s.process!.cwd = 'work'), ['process.cwd']],
  ['empty args', (s) => void (s.process!.args = []), ['process.args']],
  ['non-string arg', (s) => void ((s.process!.args as Loose) = ['sh', 3]), ['process.args[1]']],
  ['missing user', (s) => void delete (s.process as Loose).user, ['process.user']],
  ['negative uid', (s) => void (s.process!.user.uid = -1), ['process.user.uid']],
  ['root missing', (s) => void delete s.root, ['root']],
  ['root.path missing', (s) => void ((s.root as Loose) = { readonly: true }), ['root.path']],
  ['relative mount destination', (s) => void (s.mounts![2]!.destination = 'dev/pts'), ['mounts[2].destination']],
  ['mount without destination', (s) => void delete (s.mounts![1] as Loose).destination, ['mounts[1].destination']],
  ['unknown mount option allowed', (s) => void s.mounts![1]!.options!.push('huge=within_size'), []],
  ['bad mount type', (s) => void (s.mounts![0]!.type = 'Proc FS'), ['mounts[0].type']],
  ['bind without source', (s) => void s.mounts!.push({ destination: '/data', type: 'bind', options: ['rbind'] }), ['mounts[7].source']],
  ['bind mount valid', (s) => void s.mounts!.push({ destination: '/data', source: '/srv', options: ['rbind', 'ro'] }), []],
  ['unknown namespace type', (s) => void ((s.linux!.namespaces![2] as Loose).type = 'net'), ['linux.namespaces[2].type']],
  ['duplicate namespace', (s) => void s.linux!.namespaces!.push({ type: 'pid' }), ['linux.namespaces[6].type']],
  ['relative namespace path', (s) => void (s.linux!.namespaces![1]!.path = 'proc/1/ns/net'), ['linux.namespaces[1].path']],
  ['user ns without mappings', (s) => void s.linux!.namespaces!.push({ type: 'user' }), ['linux.uidMappings', 'linux.gidMappings']],
  ['joined user ns without mappings ok', (s) => void s.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' }), []],
  ['mappings without user ns', (s) => void (s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), ['linux.uidMappings']],
  ['rootless default valid', (s) => Object.assign(s, defaultSpec({ rootless: true, uid: 1000, gid: 1000 })), []],
  ['mapping size 0', (s) => {
    Object.assign(s, defaultSpec({ rootless: true, uid: 1000, gid: 1000 }));
    s.linux!.gidMappings![0]!.size = 0;
  }, ['linux.gidMappings[0].size']],
  ['memory limit -1 ok', (s) => void (s.linux!.resources = { memory: { limit: -1, swap: -1 } }), []],
  ['memory limit -2', (s) => void (s.linux!.resources = { memory: { limit: -2 } }), ['linux.resources.memory.limit']],
  ['memory limit fractional', (s) => void (s.linux!.resources = { memory: { limit: 1.5 } }), ['linux.resources.memory.limit']],
  ['pids limit -1 and 0 ok', (s) => void (s.linux!.resources = { pids: { limit: 0 } }), []],
  ['pids limit -5', (s) => void (s.linux!.resources = { pids: { limit: -5 } }), ['linux.resources.pids.limit']],
  ['cpu shares negative', (s) => void (s.linux!.resources = { cpu: { shares: -10 } }), ['linux.resources.cpu.shares']],
  ['cpu quota -1 ok, period 100000', (s) => void (s.linux!.resources = { cpu: { quota: -1, period: 100000 } }), []],
  ['cpu quota -3', (s) => void (s.linux!.resources = { cpu: { quota: -3 } }), ['linux.resources.cpu.quota']],
  ['cpu period fractional', (s) => void (s.linux!.resources = { cpu: { period: 0.5 } }), ['linux.resources.cpu.period']],
  ['cpus "0-3,5" ok', (s) => void (s.linux!.resources = { cpu: { cpus: '0-3,5', mems: '0' } }), []],
  ['cpus "0-"', (s) => void (s.linux!.resources = { cpu: { cpus: '0-' } }), ['linux.resources.cpu.cpus']],
  ['mems "3-1"', (s) => void (s.linux!.resources = { cpu: { mems: '3-1' } }), ['linux.resources.cpu.mems']],
  ['blkio weight 5', (s) => void (s.linux!.resources = { blockIO: { weight: 5 } }), ['linux.resources.blockIO.weight']],
  ['blkio weight 1001', (s) => void (s.linux!.resources = { blockIO: { weight: 1001 } }), ['linux.resources.blockIO.weight']],
  ['blkio device weight 2000', (s) => void (s.linux!.resources = { blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 2000 }] } }), ['linux.resources.blockIO.weightDevice[0].weight']],
  ['unknown capability', (s) => void s.process!.capabilities!.bounding!.push('CAP_FLY'), ['process.capabilities.bounding[14]']],
  ['lowercase capability', (s) => void (s.process!.capabilities!.effective![0] = 'chown'), ['process.capabilities.effective[0]']],
  ['unknown rlimit', (s) => void s.process!.rlimits!.push({ type: 'RLIMIT_FOO', soft: 1, hard: 1 }), ['process.rlimits[1].type']],
  ['rlimit soft > hard', (s) => void (s.process!.rlimits![0]!.soft = 4096), ['process.rlimits[0].soft']],
  ['duplicate rlimit', (s) => void s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }), ['process.rlimits[1].type']],
  ['relative hook path', (s) => void (s.hooks = { poststart: [{ path: '/bin/true' }, { path: 'hook.sh' }] }), ['hooks.poststart[1].path']],
  ['unknown hook kind ignored (config.md)', (s) => void ((s as Loose).hooks = { afterStart: [{ path: 'x' }] }), []],
  ['hook timeout 0', (s) => void (s.hooks = { createRuntime: [{ path: '/bin/true', timeout: 0 }] }), ['hooks.createRuntime[0].timeout']],
  ['invalid device type', (s) => void (s.linux!.devices = [{ path: '/dev/fuse', type: 'x' as Loose, major: 10, minor: 229 }]), ['linux.devices[0].type']],
  ['char device without minor', (s) => void (s.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10 }]), ['linux.devices[0].minor']],
  ['fifo device needs no numbers', (s) => void (s.linux!.devices = [{ path: '/dev/pipe', type: 'p' }]), []],
  ['unknown seccomp action', (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_DENY' as Loose }), ['linux.seccomp.defaultAction']],
  ['unknown seccomp operator', (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_LIKE' as Loose }] }] }), ['linux.seccomp.syscalls[0].args[0].op']],
  ['unknown seccomp arch', (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] }), ['linux.seccomp.architectures[1]']],
  ['seccomp arg index 6', (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }), ['linux.seccomp.syscalls[0].args[0].index']],
  ['seccomp notify without listener', (s) => void (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] }), ['linux.seccomp.listenerPath']],
  ['net sysctl with netns ok', (s) => void (s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'kernel.hostname': 'x' }), []],
  ['net sysctl without netns', (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  }, ['linux.sysctl["net.ipv4.ip_forward"]']],
  ['kernel sysctl not namespaced', (s) => void (s.linux!.sysctl = { 'kernel.pid_max': '100' }), ['linux.sysctl["kernel.pid_max"]']],
  ['vm sysctl not namespaced', (s) => void (s.linux!.sysctl = { 'vm/swappiness': '1' }), ['linux.sysctl["vm/swappiness"]']],
  ['hostname without uts', (s) => void (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts')), ['hostname']],
  ['oomScoreAdj 1001', (s) => void (s.process!.oomScoreAdj = 1001), ['process.oomScoreAdj']],
  ['oomScoreAdj -1000 ok', (s) => void (s.process!.oomScoreAdj = -1000), []],
  ['rootfsPropagation bad', (s) => void ((s.linux as Loose).rootfsPropagation = 'recursive'), ['linux.rootfsPropagation']],
  ['masked path relative', (s) => void s.linux!.maskedPaths!.push('proc/kcore'), ['linux.maskedPaths[11]']],
  ['readonly path relative', (s) => void (s.linux!.readonlyPaths![0] = 'proc/bus'), ['linux.readonlyPaths[0]']],
];

for (const [name, mutate, expected] of cases) {
  test(`validateSpec: ${name}`, () => {
    const spec = defaultSpec() as Spec & Record<string, unknown>;
    mutate(spec);
    const paths = validateSpec(spec).map((i) => i.path);
    assert.deepEqual(paths, expected);
  });
}

test('validateSpec collects every issue, not just the first', () => {
  const spec = defaultSpec();
  spec.process!.cwd = 'rel';
  spec.process!.args = [];
  spec.linux!.namespaces!.push({ type: 'pid' });
  const issues = validateSpec(spec);
  assert.deepEqual(issues.map((i) => i.path), ['process.cwd', 'process.args', 'linux.namespaces[6].type']);
  assert.match(issues[2]!.message, /duplicate namespace type "pid"/);
});

test('validateSpec rejects non-objects', () => {
  assert.deepEqual(validateSpec('x').map((i) => i.path), ['$']);
  assert.deepEqual(validateSpec(null).map((i) => i.path), ['$']);
});

test('parseSpec returns a valid spec from JSON text and throws BerthError listing all issues', () => {
  const spec = defaultSpec();
  assert.deepEqual(parseSpec(JSON.stringify(spec)), spec);
  spec.process!.cwd = 'x';
  spec.process!.oomScoreAdj = 5000;
  assert.throws(() => parseSpec(spec), (err: unknown) => {
    assert.ok(err instanceof SpecValidationError && err instanceof BerthError);
    assert.equal(err.code, 'invalid_spec');
    assert.equal(err.category, 'invalid_argument');
    assert.match(err.message, /^failed to validate config\.json: process\.cwd: .*; process\.oomScoreAdj: must be in -1000\.\.1000, got 5000$/);
    assert.equal(err.issues.length, 2);
    return true;
  });
  assert.throws(() => parseSpec('{"ociVersion": '), /failed to validate config\.json: \$: invalid JSON/);
});

test('validateSpec with a bundle checks that root.path is a directory', () => {
  const bundle = mkdtempSync(join(tmpdir(), 'berth-validate-'));
  try {
    const spec = defaultSpec();
    assert.deepEqual(validateSpec(spec, { bundle }).map((i) => i.path), ['root.path']);
    mkdirSync(join(bundle, 'rootfs'));
    assert.deepEqual(validateSpec(spec, { bundle }), []);
    writeFileSync(join(bundle, 'file'), '');
    spec.root!.path = 'file';
    assert.match(validateSpec(spec, { bundle })[0]!.message, /is not a directory/);
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
});
