import type { LinuxDeviceCgroup } from '../spec/types.js';
import { deviceRule, invalidResource } from './v1-resources.js';

// The cgroup v2 device controller is an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
// attached to the cgroup (Documentation/admin-guide/cgroup-v2.rst, "Device controller").
// Its context is struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } where
// access_type = (access << 16) | type. OCI rules apply in order with later rules overriding
// earlier ones, so the program tests them last to first and returns at the first match;
// nothing matched means deny.

const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC_MKNOD = 1;
const ACC_READ = 2;
const ACC_WRITE = 4;

// Opcodes (<linux/bpf_common.h>, <linux/bpf.h>).
const LDX_W = 0x61; // r_dst = *(u32 *)(r_src + off)
const AND64_K = 0x57;
const RSH64_K = 0x77;
const MOV64_K = 0xb7;
const MOV64_X = 0xbf;
const JNE_K = 0x55;
const JNE_X = 0x5d;
const EXIT = 0x95;

interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });

function accessMask(access: string): number {
  let m = 0;
  if (access.includes('m')) m |= ACC_MKNOD;
  if (access.includes('r')) m |= ACC_READ;
  if (access.includes('w')) m |= ACC_WRITE;
  return m;
}

// One rule: a block of tests, each jumping past the block on mismatch, then r0 = verdict; exit.
function ruleBlock(d: LinuxDeviceCgroup, i: number): Insn[] {
  deviceRule(d, i); // validates type/access/major/minor with field-precise errors
  const tests: Insn[] = [];
  const type = d.type ?? 'a';
  if (type !== 'a') tests.push(ins(JNE_K, 2, 0, 0, type === 'b' ? DEV_BLOCK : DEV_CHAR));
  const mask = accessMask(d.access ?? 'rwm');
  if (mask !== (ACC_MKNOD | ACC_READ | ACC_WRITE)) {
    // requested access must be a subset of the rule's: (r3 & mask) == r3
    tests.push(ins(MOV64_X, 1, 3, 0, 0), ins(AND64_K, 1, 0, 0, mask), ins(JNE_X, 1, 3, 0, 0));
  }
  if (d.major !== undefined && d.major !== null && d.major !== -1) tests.push(ins(JNE_K, 4, 0, 0, d.major));
  if (d.minor !== undefined && d.minor !== null && d.minor !== -1) tests.push(ins(JNE_K, 5, 0, 0, d.minor));
  const block = [...tests, ins(MOV64_K, 0, 0, 0, d.allow ? 1 : 0), ins(EXIT, 0, 0, 0, 0)];
  // Jumps land on the first instruction after the block.
  return block.map((x, j) => (x.op === JNE_K || x.op === JNE_X ? { ...x, off: block.length - j - 1 } : x));
}

/** Compiles OCI device rules to eBPF bytes for BPF_PROG_TYPE_CGROUP_DEVICE. */
export function compileDeviceProgram(rules: LinuxDeviceCgroup[]): Uint8Array {
  const prog: Insn[] = [
    ins(LDX_W, 2, 1, 0, 0), ins(AND64_K, 2, 0, 0, 0xffff), // r2 = type
    ins(LDX_W, 3, 1, 0, 0), ins(RSH64_K, 3, 0, 0, 16), // r3 = access
    ins(LDX_W, 4, 1, 4, 0), // r4 = major
    ins(LDX_W, 5, 1, 8, 0), // r5 = minor
  ];
  let matchesAll = false;
  for (let i = rules.length - 1; i >= 0 && !matchesAll; i--) {
    const block = ruleBlock(rules[i]!, i);
    prog.push(...block);
    // A rule without tests matches everything; what follows would be unreachable, which the
    // verifier rejects.
    matchesAll = block.length === 2;
  }
  if (!matchesAll) prog.push(ins(MOV64_K, 0, 0, 0, 0), ins(EXIT, 0, 0, 0, 0));
  if (prog.length > 4096) throw invalidResource('devices', `${rules.length} rules compile to more than 4096 instructions`);
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((x, k) => {
    out.writeUInt8(x.op, k * 8);
    out.writeUInt8((x.src << 4) | x.dst, k * 8 + 1);
    out.writeInt16LE(x.off, k * 8 + 2);
    out.writeInt32LE(x.imm, k * 8 + 4);
  });
  return out;
}

/** access_type value of bpf_cgroup_dev_ctx, for tests and callers that evaluate programs. */
export function deviceAccessType(type: 'b' | 'c', access: 'r' | 'w' | 'm'): number {
  return (accessMask(access) << 16) | (type === 'b' ? DEV_BLOCK : DEV_CHAR);
}
