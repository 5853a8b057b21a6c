// Cross-checks compiled filters against the real kernel: a python3 child (ctypes, no root
// needed thanks to no_new_privs) loads the program with seccomp(2) and makes raw syscalls
// whose argument registers we choose; the kernel's verdicts must equal the expected ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinuxSeccomp, LinuxSyscall } from '../../spec/types.js';
import { compileSeccomp } from './compile.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

const LOADER = `
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
prog = open(sys.argv[1], 'rb').read()
calls = json.loads(sys.argv[2])
class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_char_p)]
fprog = SockFprog(len(prog) // 8, prog)
if libc.prctl(38, 1, 0, 0, 0) != 0: sys.exit('prctl(PR_SET_NO_NEW_PRIVS) failed')
libc.syscall.restype = ctypes.c_long
if libc.syscall(317, 1, 0, ctypes.byref(fprog)) != 0: sys.exit('seccomp failed: errno %d' % ctypes.get_errno())
out = []
for nr, args in calls:
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_uint64(int(a)) for a in args])
    out.append(-ctypes.get_errno() if r == -1 else 0)
print(json.dumps(out))
`;

const python = spawnSync('python3', ['-c', 'import ctypes'], { encoding: 'utf8' });
const skip = process.platform !== 'linux' || process.arch !== 'x64' ? 'needs Linux x86_64' : python.status !== 0 ? 'needs python3 with ctypes' : false;

/** Loads the filter in a child and returns per call 0 (allowed) or -errno. */
function kernelVerdicts(seccomp: LinuxSeccomp, calls: [number, string[]][]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
  try {
    const file = join(dir, 'filter.bpf');
    writeFileSync(file, compileSeccomp(seccomp));
    const r = spawnSync('python3', ['-c', LOADER, file, JSON.stringify(calls)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `loader failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as number[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Syscalls that ignore their arguments, so only the filter decides what a call returns.
const PROBES = ['getpid', 'getppid', 'getuid', 'getgid', 'geteuid', 'getegid', 'gettid', 'getpgrp'].map((n) => SYSCALLS_X86_64[n]!);
const HI = 2 ** 32;

test('kernel accepts the filter and enforces every operator on 64-bit arguments', { skip }, () => {
  const rules: LinuxSyscall[] = [
    { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [{ index: 0, value: HI + 5, op: 'SCMP_CMP_EQ' }] },
    { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 12, args: [{ index: 1, value: HI + 5, op: 'SCMP_CMP_NE' }] },
    { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 2, value: HI + 5, op: 'SCMP_CMP_LT' }] },
    { names: ['getgid'], action: 'SCMP_ACT_ERRNO', errnoRet: 14, args: [{ index: 3, value: HI + 5, op: 'SCMP_CMP_LE' }] },
    { names: ['geteuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 15, args: [{ index: 4, value: HI + 5, op: 'SCMP_CMP_GT' }] },
    { names: ['getegid'], action: 'SCMP_ACT_ERRNO', errnoRet: 16, args: [{ index: 5, value: HI + 5, op: 'SCMP_CMP_GE' }] },
    { names: ['gettid'], action: 'SCMP_ACT_ERRNO', errnoRet: 17, args: [{ index: 0, value: 0xff_0000_00ff, valueTwo: 0x12_0000_0034, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['getpgrp'], action: 'SCMP_ACT_ERRNO', errnoRet: 18, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
  ];
  const values = [0, 5, HI, HI + 4, HI + 5, HI + 6, 2 * HI + 5, 0x12_0000_0034, 0x12_abcd_1234, 0x13_0000_0034];
  // expected verdict of rule r for argument value v
  const holds = [
    (v: number) => v === HI + 5,
    (v: number) => v !== HI + 5,
    (v: number) => v < HI + 5,
    (v: number) => v <= HI + 5,
    (v: number) => v > HI + 5,
    (v: number) => v >= HI + 5,
    (v: number) => BigInt(v) % (1n << 40n) >> 32n === 0x12n && (v & 0xff) === 0x34,
  ];
  const calls: [number, string[]][] = [];
  const expected: number[] = [];
  holds.forEach((h, r) => {
    for (const v of values) {
      const args = ['7', '7', '7', '7', '7', '7'];
      args[r === 6 ? 0 : r % 6] = String(v);
      calls.push([PROBES[r]!, args]);
      expected.push(h(v) ? -(11 + r) : 0);
    }
  });
  calls.push([PROBES[7]!, ['1', '2', '0', '0', '0', '0']], [PROBES[7]!, ['1', '3', '0', '0', '0', '0']]);
  expected.push(-18, 0);
  assert.deepEqual(kernelVerdicts({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules }, calls), expected);
});

test('kernel accepts a program longer than 255 instructions with long jumps', { skip }, () => {
  const rules: LinuxSyscall[] = Array.from({ length: 80 }, (_, i) => ({
    names: ['getppid'],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: i + 1,
    args: [{ index: 1, value: 1000 + i, op: 'SCMP_CMP_EQ' }],
  }));
  const seccomp: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [...rules, { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 99 }] };
  assert.ok(compileSeccomp(seccomp).length / 8 > 255);
  const got = kernelVerdicts(seccomp, [
    [PROBES[1]!, ['0', '1079', '0', '0', '0', '0']],
    [PROBES[1]!, ['0', '1000', '0', '0', '0', '0']],
    [PROBES[1]!, ['0', '999', '0', '0', '0', '0']],
    [PROBES[2]!, ['0', '0', '0', '0', '0', '0']],
    [PROBES[0]!, ['0', '0', '0', '0', '0', '0']],
  ]);
  assert.deepEqual(got, [-80, -1, 0, -99, 0]);
});
