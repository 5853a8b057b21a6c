import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinuxSeccomp, SeccompOperator } from '../../spec/types.js';
import { assembleSeccomp, compileSeccomp, seccompFilterFlags } from './compile.js';
import { AUDIT_ARCH_X86_64, SECCOMP_RET } from './constants.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

// ---- a classic BPF interpreter (the subset seccomp programs use), for these tests only ----
const AUDIT_ARCH_I386 = 0x40000003;

interface Data {
  nr: number;
  arch?: number;
  args?: (number | bigint)[];
}

function seccompData(d: Data): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeInt32LE(d.nr, 0);
  buf.writeUInt32LE(d.arch ?? AUDIT_ARCH_X86_64, 4);
  buf.writeBigUInt64LE(0x401000n, 8);
  (d.args ?? []).forEach((a, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  return buf;
}

/** Runs a sock_filter program over seccomp_data; returns the RET value and instructions executed. */
function run(prog: Buffer, data: Buffer): { ret: number; steps: number } {
  assert.equal(prog.length % 8, 0, 'program is a whole number of sock_filter');
  const n = prog.length / 8;
  let A = 0;
  let pc = 0;
  let steps = 0;
  while (pc < n) {
    steps++;
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: // LD|W|ABS
        assert.ok(k % 4 === 0 && k + 4 <= data.length, `aligned load in bounds at ${pc - 1}`);
        A = data.readUInt32LE(k);
        break;
      case 0x54: // ALU|AND|K
        A = (A & k) >>> 0;
        break;
      case 0x05: // JMP|JA
        pc += k;
        break;
      case 0x15: // JEQ|K
        pc += A === k ? jt : jf;
        break;
      case 0x25: // JGT|K
        pc += A > k ? jt : jf;
        break;
      case 0x35: // JGE|K
        pc += A >= k ? jt : jf;
        break;
      case 0x45: // JSET|K
        pc += (A & k) !== 0 ? jt : jf;
        break;
      case 0x06: // RET|K
        return { ret: k, steps };
      default:
        assert.fail(`unsupported opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  return assert.fail('program ran off its end');
}

const NR = SYSCALLS_X86_64 as Record<string, number>;
const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;
function verdict(s: LinuxSeccomp, d: Data): number {
  return run(compileSeccomp(s), seccompData(d)).ret;
}

test('syscall table is generated from unistd_64.h', () => {
  assert.equal(NR.read, 0);
  assert.equal(NR.openat, 257);
  assert.equal(NR.clone3, 435);
  assert.ok(Object.keys(NR).length >= 350);
});

test('allow list with ERRNO default: listed allowed, others EPERM or defaultErrnoRet', () => {
  const s: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] };
  assert.equal(verdict(s, { nr: NR.read! }), SECCOMP_RET.ALLOW);
  assert.equal(verdict(s, { nr: NR.exit_group! }), SECCOMP_RET.ALLOW);
  assert.equal(verdict(s, { nr: NR.mount! }), ERRNO(1));
  assert.equal(verdict({ ...s, defaultErrnoRet: 38 }, { nr: NR.mount! }), ERRNO(38));
});

test('deny list: per-rule actions and errnoRet, default ALLOW', () => {
  const s: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['umount2'], action: 'SCMP_ACT_ERRNO' },
      { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['kexec_load'], action: 'SCMP_ACT_KILL' },
      { names: ['ptrace'], action: 'SCMP_ACT_TRAP' },
      { names: ['syslog'], action: 'SCMP_ACT_LOG' },
      { names: ['acct'], action: 'SCMP_ACT_KILL_THREAD' },
      { names: ['bpf'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
    ],
  };
  assert.equal(verdict(s, { nr: NR.mount! }), ERRNO(13));
  assert.equal(verdict(s, { nr: NR.umount2! }), ERRNO(1));
  assert.equal(verdict(s, { nr: NR.reboot! }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(verdict(s, { nr: NR.kexec_load! }), SECCOMP_RET.KILL_THREAD);
  assert.equal(verdict(s, { nr: NR.acct! }), SECCOMP_RET.KILL_THREAD);
  assert.equal(verdict(s, { nr: NR.ptrace! }), SECCOMP_RET.TRAP);
  assert.equal(verdict(s, { nr: NR.syslog! }), SECCOMP_RET.LOG);
  assert.equal(verdict(s, { nr: NR.bpf! }), (SECCOMP_RET.TRACE | 7) >>> 0);
  assert.equal(verdict(s, { nr: NR.getpid! }), SECCOMP_RET.ALLOW);
});

test('wrong arch is killed; x32 syscalls are killed unless SCMP_ARCH_X32 is listed', () => {
  const s: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  assert.equal(verdict(s, { nr: NR.getpid!, arch: AUDIT_ARCH_I386 }), SECCOMP_RET.KILL_PROCESS);
  assert.equal(verdict(s, { nr: 0x40000000 | NR.getpid! }), SECCOMP_RET.KILL_PROCESS);
  const warnings: string[] = [];
  const x32: LinuxSeccomp = { ...s, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] };
  compileSeccomp(x32, 'x86_64', { warnings });
  assert.deepEqual(warnings, ['architecture SCMP_ARCH_X86 is not compiled: its syscalls are killed']);
  assert.equal(verdict(x32, { nr: 0x40000000 | NR.getpid! }), SECCOMP_RET.ALLOW);
  assert.equal(verdict(x32, { nr: 0x40000000 | NR.mount! }), ERRNO(1));
  assert.equal(verdict(x32, { nr: NR.mount! }), ERRNO(1));
});

const BIG = 0x1_0000_0005; // > 2^32: hi word 1, lo word 5
const opCases: [SeccompOperator, number, number | undefined, (number | bigint)[], (number | bigint)[]][] = [
  // op, value, valueTwo, args that match, args that do not
  ['SCMP_CMP_EQ', 42, undefined, [42], [41, 43, 42 + 2 ** 32, 0]],
  ['SCMP_CMP_EQ', BIG, undefined, [BIG], [5, 2 ** 32, BIG + 1]],
  ['SCMP_CMP_NE', 42, undefined, [0, 41, 43, 42 + 2 ** 32], [42]],
  ['SCMP_CMP_NE', BIG, undefined, [5, 2 ** 32], [BIG]],
  ['SCMP_CMP_LT', BIG, undefined, [0, 5, 2 ** 32, BIG - 1, 0xffffffff], [BIG, BIG + 1, 2 ** 33]],
  ['SCMP_CMP_LE', BIG, undefined, [0, BIG, 2 ** 32 + 4], [BIG + 1, 2 ** 33, 0xffffffffffffffffn]],
  ['SCMP_CMP_GT', BIG, undefined, [BIG + 1, 2 ** 33, 0xffffffffffffffffn], [BIG, 5, 0xffffffff, 2 ** 32 + 6 - 2]],
  ['SCMP_CMP_GE', BIG, undefined, [BIG, BIG + 1, 2 ** 33], [BIG - 1, 6, 0xffffffff]],
  ['SCMP_CMP_GT', 10, undefined, [11, 2 ** 32, 2 ** 32 + 1], [10, 0, 9]],
  ['SCMP_CMP_LT', 10, undefined, [9, 0], [10, 11, 2 ** 32, 2 ** 32 + 1]],
  ['SCMP_CMP_MASKED_EQ', 0x7e020000, 0, [0, 0x11, 0x01000000, 2 ** 40], [0x10000000, 0x00020000, 0x7e020000]],
  ['SCMP_CMP_MASKED_EQ', 0xff_0000_00ff, 0x12_0000_0034, [0x12_0000_0034, 0x12_abcd_1234, 0xff12_0000_0034], [0x13_0000_0034, 0x12_0000_0035, 0x34]],
];

for (const [op, value, valueTwo, yes, no] of opCases) {
  test(`argument operator ${op} value=0x${value.toString(16)} compares all 64 bits`, () => {
    for (const index of [0, 3, 5]) {
      const s: LinuxSeccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index, value, op, ...(valueTwo === undefined ? {} : { valueTwo }) }] }],
      };
      const args = (a: number | bigint) => Array.from({ length: 6 }, (_, i) => (i === index ? a : 7));
      for (const a of yes) assert.equal(verdict(s, { nr: NR.ioctl!, args: args(a) }), SECCOMP_RET.ALLOW, `${op} arg${index}=${a.toString(16)} should match`);
      for (const a of no) assert.equal(verdict(s, { nr: NR.ioctl!, args: args(a) }), ERRNO(1), `${op} arg${index}=${a.toString(16)} should not match`);
    }
  });
}

test('conditions on different args are ANDed; repeated index is ORed like runc', () => {
  const and: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_EQ' }] }],
  };
  assert.equal(verdict(and, { nr: NR.socket!, args: [2, 1] }), SECCOMP_RET.ALLOW);
  assert.equal(verdict(and, { nr: NR.socket!, args: [2, 2] }), ERRNO(1));
  assert.equal(verdict(and, { nr: NR.socket!, args: [10, 1] }), ERRNO(1));
  const or: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] }],
  };
  for (const p of [0, 8, 0xffffffff]) assert.equal(verdict(or, { nr: NR.personality!, args: [p] }), SECCOMP_RET.ALLOW);
  assert.equal(verdict(or, { nr: NR.personality!, args: [1] }), ERRNO(1));
});

test('several rules for one syscall: first match wins, no match gives the default', () => {
  const s: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3, args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 4, args: [{ index: 1, value: 5, op: 'SCMP_CMP_GE' }] },
      { names: ['kill', 'tkill'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['kill'], action: 'SCMP_ACT_TRAP' },
      { names: ['kill'], action: 'SCMP_ACT_KILL' },
    ],
  };
  assert.equal(verdict(s, { nr: NR.kill!, args: [100, 9] }), ERRNO(3));
  assert.equal(verdict(s, { nr: NR.kill!, args: [100, 15] }), ERRNO(4));
  assert.equal(verdict(s, { nr: NR.kill!, args: [1, 2] }), SECCOMP_RET.LOG);
  assert.equal(verdict(s, { nr: NR.kill!, args: [100, 2] }), SECCOMP_RET.TRAP);
  assert.equal(verdict(s, { nr: NR.tkill!, args: [1, 2] }), SECCOMP_RET.LOG);
  assert.equal(verdict(s, { nr: NR.tkill!, args: [2, 2] }), SECCOMP_RET.ALLOW);
});

test('unknown syscall names are ignored and reported as warnings', () => {
  const warnings: string[] = [];
  const s: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'no_such_call', 'arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW' }] };
  const prog = compileSeccomp(s, 'x86_64', { warnings });
  assert.equal(run(prog, seccompData({ nr: NR.read! })).ret, SECCOMP_RET.ALLOW);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /no_such_call/);
});

test('long programs: every x86_64 syscall listed, long per-syscall blocks use BPF_JA', () => {
  const names = Object.keys(NR);
  const allowAll: LinuxSeccomp = { defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: names.filter((n) => n !== 'mount'), action: 'SCMP_ACT_ALLOW' }] };
  const prog = compileSeccomp(allowAll);
  assert.ok(prog.length / 8 > 255, `program has ${prog.length / 8} instructions`);
  for (const n of names) assert.equal(run(prog, seccompData({ nr: NR[n]! })).ret, n === 'mount' ? SECCOMP_RET.KILL_PROCESS : SECCOMP_RET.ALLOW, n);
  assert.equal(run(prog, seccompData({ nr: 1000 })).ret, SECCOMP_RET.KILL_PROCESS);

  // 80 rules on one syscall (5 instructions each) make its block > 255 instructions.
  const rules = Array.from({ length: 80 }, (_, i) => ({ names: ['fcntl'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: i + 1, args: [{ index: 1, value: 1000 + i, op: 'SCMP_CMP_EQ' as const }] }));
  const big: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [...rules, { names: ['dup'], action: 'SCMP_ACT_ERRNO', errnoRet: 99 }, { names: ['dup2'], action: 'SCMP_ACT_ERRNO', errnoRet: 98, args: [{ index: 0, value: 1, op: 'SCMP_CMP_NE' }] }] };
  const insns = assembleSeccomp(big);
  assert.ok(insns.some((i) => i.code === 0x05 && i.k > 255), 'a long BPF_JA is emitted');
  const p2 = compileSeccomp(big);
  assert.equal(run(p2, seccompData({ nr: NR.fcntl!, args: [0, 1079] })).ret, ERRNO(80));
  assert.equal(run(p2, seccompData({ nr: NR.fcntl!, args: [0, 1000] })).ret, ERRNO(1));
  assert.equal(run(p2, seccompData({ nr: NR.fcntl!, args: [0, 5] })).ret, SECCOMP_RET.ALLOW);
  assert.equal(run(p2, seccompData({ nr: NR.dup! })).ret, ERRNO(99));
  assert.equal(run(p2, seccompData({ nr: NR.dup2!, args: [3] })).ret, ERRNO(98));
  assert.equal(run(p2, seccompData({ nr: NR.dup2!, args: [1] })).ret, SECCOMP_RET.ALLOW);
  assert.equal(run(p2, seccompData({ nr: NR.getpid! })).ret, SECCOMP_RET.ALLOW);
});

test('encoding is struct sock_filter little-endian, 8 bytes each', () => {
  const prog = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' });
  assert.deepEqual([...prog.subarray(0, 8)], [0x20, 0, 0, 0, 4, 0, 0, 0]);
  assert.deepEqual([...prog.subarray(8, 16)], [0x15, 0, 1, 0, 0x3e, 0, 0, 0xc0]);
  assert.equal(prog.readUInt32LE(prog.length - 4), SECCOMP_RET.ALLOW);
});

test('bad input is rejected with a clear error', () => {
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }), /cannot be the default action/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOPE' as 'SCMP_ACT_ALLOW' }), /unknown action "SCMP_ACT_NOPE"/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }), /index 6 out of range/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0, op: 'SCMP_CMP_XX' as SeccompOperator }] }] }), /unknown operator/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }), /errnoRet 70000 out of range/);
  assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, 'arm64' as 'x86_64'), /unsupported architecture/);
});

test('seccompFilterFlags maps spec flags and adds NEW_LISTENER for NOTIFY', () => {
  assert.equal(seccompFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), 6);
  assert.equal(seccompFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] }), 8);
  assert.throws(() => seccompFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }), /unknown flag/);
});
