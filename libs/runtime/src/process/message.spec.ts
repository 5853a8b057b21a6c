import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../errors.js';
import { MS } from '../rootfs/types.js';
import { encodeExecMessage, encodeInitMessage } from './message.js';
import { decodeMessage, goRecord, MSG_VERSION, TAG } from './protocol.js';
import type { LaunchInitOptions } from './types.js';

function opts(over: Partial<LaunchInitOptions> = {}): LaunchInitOptions {
  return {
    shimPath: '/x', containerId: 'c1', stateDir: '/s', exitFile: '/s/exit', detach: false, stdio: 'inherit',
    cgroupProcsFiles: ['/cg/a/cgroup.procs'], namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/n1' }, { type: 'uts' }, { type: 'mount' }],
    spec: { ociVersion: '1.2.0', hostname: 'h', process: { user: { uid: 1, gid: 2, additionalGids: [3] }, cwd: '/w', args: ['a', 'b'], env: ['K=V'] } },
    rootfs: {
      rootfs: '/r', rootPropagation: MS.REC | MS.SLAVE, readonlyRoot: true, devices: [], symlinks: [], maskedPaths: ['/m'], readonlyPaths: [],
      mounts: [{ source: 'proc', target: '/proc', fstype: 'proc', flags: 0, data: '', propagation: [MS.PRIVATE], remountFlags: 0, createAs: 'dir' }],
    },
    ...over,
  };
}

/** Reads a string field (u32 length, bytes, NUL) at `off`. */
function str(b: Buffer, off = 0): [string, number] {
  const n = b.readUInt32LE(off);
  assert.equal(b[off + 4 + n], 0, 'NUL-terminated');
  return [b.toString('utf8', off + 4, off + 4 + n), off + 5 + n];
}

test('encodeInitMessage frames a versioned message with records in spec order', () => {
  const msg = decodeMessage(encodeInitMessage(opts()));
  assert.equal(msg.version, MSG_VERSION);
  assert.equal(msg.kind, 1);
  const of = (tag: number) => msg.records.filter((r) => r.tag === tag);
  assert.deepEqual(of(TAG.ARG).map((r) => str(r.payload)[0]), ['a', 'b']);
  assert.deepEqual(of(TAG.ENV).map((r) => str(r.payload)[0]), ['K=V']);
  const user = of(TAG.USER)[0]?.payload;
  assert.deepEqual([0, 4, 8, 12, 16].map((o) => user?.readUInt32LE(o)), [1, 2, 0o022, 1, 3]);
  const ns = of(TAG.NS).map((r) => [r.payload.readUInt32LE(0), str(r.payload, 4)[0]]);
  assert.deepEqual(ns, [[0x20000000, ''], [0x40000000, '/run/netns/n1'], [0x04000000, ''], [0x00020000, '']]);
  assert.equal(of(TAG.READONLY_ROOT).length, 1);
  const m = of(TAG.MOUNT)[0]?.payload ?? Buffer.alloc(0);
  assert.deepEqual([0, 4, 8, 12, 16].map((o) => m.readUInt32LE(o)), [0, 0, 0, 1, MS.PRIVATE]);
  let off = 20;
  const strs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const [s, next] = str(m, off);
    strs.push(s);
    off = next;
  }
  assert.deepEqual(strs, ['proc', '/proc', 'proc', '']);
  assert.equal(of(TAG.STDIO_FILES).length, 0, 'inherit has no files');
});

test('encodeInitMessage rejects bad input naming the field', () => {
  const cases: [Partial<LaunchInitOptions>, RegExp][] = [
    [{ namespaces: [{ type: 'pid' }, { type: 'uts' }] }, /the container needs a mount namespace \(add \{"type": "mount"\} to linux.namespaces\)/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: [] } } }, /process.args is empty/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: -1, gid: 0 }, cwd: '/', args: ['x'] } } }, /uid -1 is not a 32-bit unsigned integer/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: 'rel', args: ['x'] } } }, /process.cwd "rel" is not absolute/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['a\0b'] } } }, /process.args contains a NUL byte/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'], rlimits: [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }] } } }, /unknown rlimit type "RLIMIT_BOGUS"/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 9, hard: 1 }] } } }, /soft 9 exceeds hard 1/],
    [{ spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'], capabilities: { bounding: ['CAP_NOPE'] } } } }, /CAP_NOPE/],
    [{ namespaces: [{ type: 'pid' }, { type: 'pid' }] }, /namespace "pid" is listed twice/],
    [{ uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }, /uid\/gid mappings need a new user namespace/],
    [{ seccomp: Buffer.alloc(12) }, /12 bytes is not a whole number of 8-byte sock_filter entries/],
    [{ consoleSocket: '/tmp/s' }, /a consoleSocket was given but process.terminal is false/],
    [{ namespaces: [{ type: 'pid' }, { type: 'mount' }] }, /setting hostname or domainname needs a uts namespace/],
  ];
  for (const [over, re] of cases) {
    const o = opts(over.namespaces ? over : { namespaces: [{ type: 'uts' }, { type: 'mount' }], ...over });
    assert.throws(() => encodeInitMessage(o), (err: unknown) => err instanceof BerthError && err.category === 'invalid_argument' && re.test(err.message), String(re));
  }
});

test('rlimit infinity, capabilities and file stdio are encoded as the shim reads them', () => {
  const o = opts();
  o.spec.process = {
    user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'],
    rlimits: [{ type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 }],
    capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL'], ambient: ['CAP_KILL'] },
  };
  o.stdio = { stdout: '/l/o', stderr: '/l/e', maxSize: 1000 };
  const msg = decodeMessage(encodeInitMessage(o));
  const rl = msg.records.find((r) => r.tag === TAG.RLIMIT)?.payload;
  assert.equal(rl?.readUInt32LE(0), 4);
  assert.equal(rl?.readBigUInt64LE(4), (1n << 64n) - 1n);
  const caps = msg.records.find((r) => r.tag === TAG.CAPS)?.payload;
  assert.equal(caps?.readBigUInt64LE(0), (1n << 0n) | (1n << 5n));
  assert.equal(caps?.readBigUInt64LE(8), 0n);
  assert.equal(caps?.readBigUInt64LE(32), 1n << 5n);
  const files = msg.records.find((r) => r.tag === TAG.STDIO_FILES)?.payload ?? Buffer.alloc(0);
  const [out, next] = str(files);
  const [err, end] = str(files, next);
  assert.deepEqual([out, err, files.readBigUInt64LE(end)], ['/l/o', '/l/e', 1000n]);
});

test('encodeExecMessage carries only the joins it is given', () => {
  const msg = decodeMessage(encodeExecMessage(
    { shimPath: '/x', containerId: 'c', initPid: 5, namespaces: ['pid'], process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'] }, cgroupProcsFiles: [], exitFile: '/e', detach: true },
    [{ type: 'mount', path: '/proc/5/ns/mnt' }]));
  assert.equal(msg.kind, 2);
  const ns = msg.records.filter((r) => r.tag === TAG.NS);
  assert.equal(ns.length, 1);
  assert.equal(ns[0]?.payload.readUInt32LE(0), 0x20000);
});

test('goRecord and decodeMessage framing', () => {
  const g = goRecord('{"pid":1}');
  assert.equal(g.toString('ascii', 0, 1), 'G');
  assert.equal(g.readUInt32LE(1), 9);
  const good = encodeInitMessage(opts());
  assert.throws(() => decodeMessage(good.subarray(0, good.length - 1)), /does not match/);
  const bad = Buffer.from(good);
  bad.write('XXXX', 4, 'ascii');
  assert.throws(() => decodeMessage(bad), /bad header/);
});

test('encodeInitMessage: the init places itself in its cgroups only when it sees the caller\'s cgroupfs', () => {
  const tags = (o: LaunchInitOptions) => {
    const recs = decodeMessage(encodeInitMessage(o)).records;
    const files = (tag: number) => recs.filter((r) => r.tag === tag).map((r) => str(r.payload)[0]);
    return { self: files(TAG.CGROUP_SELF), procs: files(TAG.CGROUP_PROCS), deferred: recs.some((r) => r.tag === TAG.DEFER_CGROUP) };
  };
  const own = [{ type: 'pid' as const }, { type: 'mount' as const }, { type: 'uts' as const }];
  const base = { cgroupSelfFiles: ['/cg/a/tasks'], deferCgroupPlacement: true };
  // new namespaces only: the v1 tasks files, and nothing for the shim to place or defer
  assert.deepEqual(tags(opts({ ...base, namespaces: own })), { self: ['/cg/a/tasks'], procs: [], deferred: false });
  // a joined namespace (opts() joins a network namespace) or a new user namespace: the shim places the pid
  assert.deepEqual(tags(opts(base)), { self: [], procs: ['/cg/a/cgroup.procs'], deferred: true });
  const userns = { ...base, namespaces: [...own, { type: 'user' as const }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
  assert.deepEqual(tags(opts(userns)), { self: [], procs: ['/cg/a/cgroup.procs'], deferred: true });
  // no self-placement files (cgroup v2)
  assert.deepEqual(tags(opts({ namespaces: own })), { self: [], procs: ['/cg/a/cgroup.procs'], deferred: false });
});

test('encodeInitMessage: a hostname is set in a uts namespace joined by path too; an empty one is none', () => {
  const recs = (o: LaunchInitOptions) => decodeMessage(encodeInitMessage(o)).records;
  const joined = recs(opts({ namespaces: [{ type: 'mount' }, { type: 'uts', path: '/proc/1/ns/uts' }] }));
  assert.deepEqual(joined.filter((r) => r.tag === TAG.HOSTNAME).map((r) => str(r.payload)[0]), ['h']);
  const empty = opts({ namespaces: [{ type: 'mount' }] });
  empty.spec = { ...empty.spec, hostname: '' };
  assert.equal(recs(empty).filter((r) => r.tag === TAG.HOSTNAME).length, 0);
});

test('encodeInitMessage: time offsets go to a new time namespace only', () => {
  const o = opts({ namespaces: [{ type: 'mount' }, { type: 'uts' }, { type: 'time' }] });
  o.spec = { ...o.spec, linux: { timeOffsets: { monotonic: { secs: 86400 }, boottime: { secs: -2, nanosecs: 7 } } } };
  const recs = decodeMessage(encodeInitMessage(o)).records.filter((r) => r.tag === TAG.TIME_OFFSET).map((r) => str(r.payload)[0]);
  assert.deepEqual(recs, ['monotonic 86400 0', 'boottime -2 7']);
  const joined = { ...o, namespaces: [{ type: 'mount' as const }, { type: 'uts' as const }, { type: 'time' as const, path: '/proc/1/ns/time' }] };
  assert.throws(() => encodeInitMessage(joined), /time offsets need a new time namespace/);
});

test('encodeInitMessage: I/O priority, scheduler, CPU affinity and personality', () => {
  const o = opts({ namespaces: [{ type: 'mount' }, { type: 'uts' }] });
  const proc = { ...o.spec.process!, ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 7 }, scheduler: { policy: 'SCHED_RR', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] }, execCPUAffinity: { initial: '0', final: '0-2,9' } };
  o.spec = { ...o.spec, process: proc, linux: { personality: { domain: 'LINUX32' } } };
  const recs = decodeMessage(encodeInitMessage(o)).records;
  const one = (tag: number) => recs.find((r) => r.tag === tag)?.payload ?? Buffer.alloc(0);
  assert.equal(one(TAG.IOPRIO).readUInt32LE(0), (3 << 13) | 7);
  const s = one(TAG.SCHED);
  assert.deepEqual([s.readUInt32LE(0), s.readBigUInt64LE(4), s.readInt32LE(12), s.readUInt32LE(16)], [2, 1n, 0, 10]);
  const mask = one(TAG.CPU_AFFINITY);
  assert.equal(mask.readUInt32LE(0), 8, 'one 64-bit word');
  assert.equal(mask.readUInt16LE(4), 0b10_0000_0111, 'cpus 0-2 and 9 (final wins)');
  assert.equal(one(TAG.PERSONALITY).readUInt32LE(0), 8);
});
