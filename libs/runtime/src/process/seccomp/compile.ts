/**
 * Compiles an OCI linux.seccomp section into a classic BPF program for
 * seccomp(SECCOMP_SET_MODE_FILTER), as libseccomp does for runc, without libseccomp.
 *
 * Layout: check arch (anything but x86_64 -> KILL_PROCESS, like libseccomp's bad-arch action);
 * x32 syscalls (nr has bit 30) are killed unless SCMP_ARCH_X32 is listed, in which case the bit
 * is masked off and they share the x86_64 rules (x32 reuses x86_64 numbers for common calls);
 * then syscalls without conditions, grouped by action as runs of JEQ to one shared RET; then
 * syscalls with argument conditions, each a block of rules tried in order (first match wins)
 * that ends in the default action; last, the default action.
 */
import { BerthError } from '../../errors.js';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction } from '../../spec/types.js';
import { Asm, encode, type Insn } from './asm.js';
import {
  AUDIT_ARCH_X86_64,
  BPF,
  BPF_MAXINSNS,
  EPERM,
  SECCOMP_DATA,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_RET,
  X32_SYSCALL_BIT,
} from './constants.js';
import { SYSCALLS_X86_64 } from './syscalls-x86_64.js';

export interface CompileOptions {
  /** Receives one message per syscall name unknown to the architecture (they are ignored). */
  warnings?: string[];
}

/** Syscalls without conditions per shared-RET run; keeps every jt far below 255. */
const RUN = 200;

function invalid(msg: string): BerthError {
  return new BerthError('invalid_seccomp', 'invalid_argument', `failed to compile seccomp filter: ${msg}`);
}

/** The filter return value of an OCI action (errno/trace data default to EPERM, as runc does). */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  const data = errnoRet ?? EPERM;
  if (!Number.isInteger(data) || data < 0 || data > 0xffff) throw invalid(`errnoRet ${data} out of range 0..65535`);
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      return SECCOMP_RET.USER_NOTIF;
    default:
      throw invalid(`unknown action ${JSON.stringify(action)}`);
  }
}

/** seccomp(2) flags for a spec: its named flags, plus NEW_LISTENER when an action is NOTIFY. */
export function seccompFilterFlags(seccomp: LinuxSeccomp): number {
  let flags = 0;
  for (const name of seccomp.flags ?? []) {
    const bit = SECCOMP_FILTER_FLAGS[name];
    if (bit === undefined) throw invalid(`unknown flag "${name}"`);
    flags |= bit;
  }
  if ((seccomp.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY')) flags |= SECCOMP_FILTER_FLAGS.SECCOMP_FILTER_FLAG_NEW_LISTENER!;
  return flags;
}

interface Rule {
  conds: LinuxSeccompArg[];
  ret: number;
}

/** Compiles `seccomp` for `arch` into struct sock_filter bytes (8 per instruction, little-endian). */
export function compileSeccomp(seccomp: LinuxSeccomp, arch: 'x86_64' = 'x86_64', opts: CompileOptions = {}): Buffer {
  return encode(assembleSeccomp(seccomp, arch, opts));
}

/** Same as compileSeccomp, as instructions (for inspection and tests). */
export function assembleSeccomp(seccomp: LinuxSeccomp, arch: 'x86_64' = 'x86_64', opts: CompileOptions = {}): Insn[] {
  if (arch !== 'x86_64') throw invalid(`unsupported architecture "${String(arch)}"`);
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') throw invalid('SCMP_ACT_NOTIFY cannot be the default action');
  const defaultRet = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const rules = collectRules(seccomp.syscalls ?? [], opts.warnings);
  const badArch = SECCOMP_RET.KILL_PROCESS;
  const x32 = (seccomp.architectures ?? []).includes('SCMP_ARCH_X32');
  for (const a of seccomp.architectures ?? []) {
    if (a !== 'SCMP_ARCH_X86_64' && a !== 'SCMP_ARCH_X32') opts.warnings?.push(`architecture ${a} is not compiled: its syscalls are killed`);
  }

  const asm = new Asm();
  asm.ldAbs(SECCOMP_DATA.ARCH);
  asm.jmp(BPF.JEQ, AUDIT_ARCH_X86_64, 1, 0);
  asm.ret(badArch);
  asm.ldAbs(SECCOMP_DATA.NR);
  if (x32) {
    asm.andK(~X32_SYSCALL_BIT >>> 0);
  } else {
    asm.jmp(BPF.JGE, X32_SYSCALL_BIT, 0, 1);
    asm.ret(badArch);
  }

  // Syscalls whose first rule has no condition: later rules can never match.
  const simple = new Map<number, number[]>();
  const complex: [number, Rule[]][] = [];
  for (const [nr, list] of [...rules.entries()].sort((a, b) => a[0] - b[0])) {
    const first = list[0]!;
    if (first.conds.length === 0) {
      const group = simple.get(first.ret) ?? [];
      group.push(nr);
      simple.set(first.ret, group);
    } else complex.push([nr, list]);
  }
  for (const [ret, nrs] of simple) {
    for (let start = 0; start < nrs.length; start += RUN) {
      const hit = asm.newLabel('hit');
      const miss = asm.newLabel('miss');
      for (const nr of nrs.slice(start, start + RUN)) asm.jmp(BPF.JEQ, nr, hit, 0);
      asm.ja(miss);
      asm.label(hit);
      asm.ret(ret);
      asm.label(miss);
    }
  }
  for (const [nr, list] of complex) {
    const body = ruleBlock(list, defaultRet);
    if (body.length <= 255) {
      asm.jmp(BPF.JEQ, nr, 0, body.length);
    } else {
      asm.jmp(BPF.JEQ, nr, 1, 0);
      asm.ja(body.length);
    }
    asm.append(body);
  }
  asm.ret(defaultRet);
  const program = asm.resolve();
  if (program.length > BPF_MAXINSNS) throw invalid(`program has ${program.length} instructions, more than the kernel's ${BPF_MAXINSNS}`);
  return program;
}

/** Rules per syscall number, in spec order; unknown names are reported and skipped. */
function collectRules(syscalls: readonly LinuxSyscall[], warnings: string[] | undefined): Map<number, Rule[]> {
  const out = new Map<number, Rule[]>();
  syscalls.forEach((sc, i) => {
    const ret = actionValue(sc.action, sc.errnoRet);
    const args = sc.args ?? [];
    for (const a of args) {
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw invalid(`syscalls[${i}]: argument index ${a.index} out of range 0..5`);
    }
    // Like runc: several conditions on one argument cannot be ANDed by libseccomp, so each
    // condition becomes a rule of its own (ORed); otherwise all conditions form one rule.
    const counts = new Map<number, number>();
    for (const a of args) counts.set(a.index, (counts.get(a.index) ?? 0) + 1);
    const split = [...counts.values()].some((c) => c > 1);
    const ruleConds = split ? args.map((a) => [a]) : [args];
    for (const name of sc.names) {
      const nr = SYSCALLS_X86_64[name];
      if (nr === undefined) {
        warnings?.push(`unknown syscall "${name}" for x86_64 ignored (syscalls[${i}])`);
        continue;
      }
      const list = out.get(nr) ?? [];
      for (const conds of ruleConds) list.push({ conds, ret });
      out.set(nr, list);
    }
  });
  return out;
}

/** Rules of one syscall in order, then the default; A holds nr on entry and is clobbered. */
function ruleBlock(rules: readonly Rule[], defaultRet: number): Insn[] {
  const asm = new Asm();
  for (const rule of rules) {
    const fail = asm.newLabel('fail');
    for (const c of rule.conds) condition(asm, c, fail);
    asm.ret(rule.ret);
    asm.label(fail);
    if (rule.conds.length === 0) break;
  }
  asm.ret(defaultRet);
  return asm.resolve();
}

function split64(v: number, what: string): [hi: number, lo: number] {
  if (!Number.isInteger(v)) throw invalid(`${what} ${v} is not an integer`);
  const big = BigInt.asUintN(64, BigInt(v));
  return [Number(big >> 32n), Number(big & 0xffffffffn)];
}

/** Falls through when the 64-bit argument condition holds, jumps to `fail` otherwise. */
function condition(asm: Asm, c: LinuxSeccompArg, fail: string): void {
  const lo = SECCOMP_DATA.ARGS + 8 * c.index;
  const hi = lo + 4;
  const [vhi, vlo] = split64(c.value, 'value');
  const pass = asm.newLabel('pass');
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      asm.ldAbs(hi);
      asm.jmp(BPF.JEQ, vhi, 0, fail);
      asm.ldAbs(lo);
      asm.jmp(BPF.JEQ, vlo, 0, fail);
      break;
    case 'SCMP_CMP_NE':
      asm.ldAbs(hi);
      asm.jmp(BPF.JEQ, vhi, 0, pass);
      asm.ldAbs(lo);
      asm.jmp(BPF.JEQ, vlo, fail, 0);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      asm.ldAbs(hi);
      asm.jmp(BPF.JGT, vhi, pass, 0);
      asm.jmp(BPF.JEQ, vhi, 0, fail);
      asm.ldAbs(lo);
      asm.jmp(c.op === 'SCMP_CMP_GT' ? BPF.JGT : BPF.JGE, vlo, 0, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      asm.ldAbs(hi);
      asm.jmp(BPF.JGT, vhi, fail, 0);
      asm.jmp(BPF.JEQ, vhi, 0, pass);
      asm.ldAbs(lo);
      asm.jmp(c.op === 'SCMP_CMP_LT' ? BPF.JGE : BPF.JGT, vlo, fail, 0);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      const [dhi, dlo] = split64(c.valueTwo ?? 0, 'valueTwo');
      asm.ldAbs(hi);
      asm.andK(vhi);
      asm.jmp(BPF.JEQ, dhi, 0, fail);
      asm.ldAbs(lo);
      asm.andK(vlo);
      asm.jmp(BPF.JEQ, dlo, 0, fail);
      break;
    }
    default:
      throw invalid(`unknown operator ${JSON.stringify(c.op)}`);
  }
  asm.label(pass);
}
