import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxDeviceCgroup } from '../spec/types.js';
import { BPF, FakeSyscalls } from '../sys/index.js';
import { compileDeviceProgram, deviceAccessType } from './devices-bpf.js';
import { createCgroupManager } from './factory.js';
import { makeFakeV2Tree } from './fake-tree.js';

// A small interpreter for exactly the instructions the compiler emits, so the tests check the
// program's bytes, not the compiler's intentions.
function run(prog: Uint8Array, type: 'b' | 'c', access: 'r' | 'w' | 'm', major: number, minor: number): number {
  const b = Buffer.from(prog);
  const ctx = [deviceAccessType(type, access), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0, steps = 0; steps < 10000; pc++, steps++) {
    const op = b.readUInt8(pc * 8);
    const regs = b.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = b.readInt16LE(pc * 8 + 2);
    const imm = b.readInt32LE(pc * 8 + 4);
    switch (op) {
      case 0x61: r[dst] = ctx[off / 4]!; break;
      case 0x57: r[dst] = r[dst]! & imm; break;
      case 0x77: r[dst] = r[dst]! >>> imm; break;
      case 0xb7: r[dst] = imm; break;
      case 0xbf: r[dst] = r[src]!; break;
      case 0x55: if (r[dst] !== imm) pc += off; break;
      case 0x5d: if (r[dst] !== r[src]) pc += off; break;
      case 0x95: return r[0]!;
      default: throw new Error(`unexpected opcode 0x${op.toString(16)} at ${pc}`);
    }
  }
  throw new Error('program did not exit');
}

const DEFAULTS: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 136, access: 'rw' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 0, access: 'r' }, // /dev/tty read-only
];

test('device program: deny-all then allow list, wildcards and access subsets', () => {
  const p = compileDeviceProgram(DEFAULTS);
  assert.equal(run(p, 'c', 'r', 1, 3), 1);
  assert.equal(run(p, 'c', 'm', 1, 3), 1);
  assert.equal(run(p, 'c', 'r', 1, 5), 0, '/dev/zero denied');
  assert.equal(run(p, 'b', 'r', 1, 3), 0, 'block 1:3 denied');
  assert.equal(run(p, 'c', 'w', 136, 7), 1);
  assert.equal(run(p, 'c', 'm', 136, 7), 0, 'mknod not granted for pts');
  assert.equal(run(p, 'c', 'r', 5, 0), 1);
  assert.equal(run(p, 'c', 'w', 5, 0), 0);
});

test('device program: later rules override earlier ones; empty list denies; allow-all allows', () => {
  const p = compileDeviceProgram([...DEFAULTS, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]);
  assert.equal(run(p, 'c', 'r', 1, 3), 1);
  assert.equal(run(p, 'c', 'w', 1, 3), 0);
  assert.equal(run(compileDeviceProgram([]), 'c', 'r', 1, 3), 0);
  const all = compileDeviceProgram([{ allow: false, access: 'rwm' }, { allow: true, access: 'rwm' }]);
  assert.equal(run(all, 'b', 'w', 8, 0), 1);
  assert.equal(all.length, (6 + 2) * 8, 'nothing after a match-all rule (verifier rejects unreachable code)');
});

test('device program: invalid rules name the field', () => {
  assert.throws(() => compileDeviceProgram([{ allow: true, type: 'c', access: 'rwx' }]), /devices\[0\]\.access/);
});

test('v2 driver loads and attaches the device program through Syscalls', async () => {
  const tree = makeFakeV2Tree();
  try {
    const sys = new FakeSyscalls();
    const m = createCgroupManager({ path: '/c', version: 2, root: tree.root, selfCgroup: tree.selfCgroup, fs: tree.fs, sys });
    await m.create();
    await m.set({ devices: DEFAULTS });
    const [load] = sys.callsOf('bpfProgLoad');
    assert.equal(load?.[0], BPF.PROG_TYPE_CGROUP_DEVICE);
    assert.deepEqual(load?.[1], Buffer.from(compileDeviceProgram(DEFAULTS)));
    const [attach] = sys.callsOf('bpfProgAttach');
    assert.equal(attach?.[2], BPF.CGROUP_DEVICE);
    assert.equal(attach?.[3], BPF.F_ALLOW_OVERRIDE);
    assert.equal(sys.programs.size, 0, 'program fd closed after attach');
    sys.fail('bpfProgLoad', 'EPERM');
    await assert.rejects(m.set({ devices: DEFAULTS }), { code: 'EPERM', category: 'permission_denied' });
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});
