/** A tiny classic-BPF assembler with forward labels; conditional jumps must land within 255. */
import { BerthError } from '../../errors.js';
import { BPF } from './constants.js';

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Target = number | string;

interface Pending {
  code: number;
  jt: Target;
  jf: Target;
  k: Target;
}

export class Asm {
  private readonly ins: Pending[] = [];
  private readonly labels = new Map<string, number>();
  private next = 0;

  get length(): number {
    return this.ins.length;
  }

  /** A fresh label name; place it with `label()`. */
  newLabel(prefix = 'L'): string {
    return `${prefix}${this.next++}`;
  }

  label(name: string): void {
    this.labels.set(name, this.ins.length);
  }

  /** A = u32 at seccomp_data offset. */
  ldAbs(offset: number): void {
    this.ins.push({ code: BPF.LD | BPF.W | BPF.ABS, jt: 0, jf: 0, k: offset });
  }

  andK(k: number): void {
    this.ins.push({ code: BPF.ALU | BPF.AND | BPF.K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** Conditional jump on A op k; a target of 0 means the next instruction. */
  jmp(op: typeof BPF.JEQ | typeof BPF.JGT | typeof BPF.JGE | typeof BPF.JSET, k: number, jt: Target, jf: Target): void {
    this.ins.push({ code: BPF.JMP | op | BPF.K, jt, jf, k: k >>> 0 });
  }

  /** Unconditional jump with a 32-bit offset (the long jump). */
  ja(target: Target): void {
    this.ins.push({ code: BPF.JMP | BPF.JA, jt: 0, jf: 0, k: target });
  }

  ret(k: number): void {
    this.ins.push({ code: BPF.RET | BPF.K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** Appends already-resolved instructions (their jumps are relative, so they move freely). */
  append(code: readonly Insn[]): void {
    for (const i of code) this.ins.push({ ...i });
  }

  resolve(): Insn[] {
    return this.ins.map((i, pc) => {
      const rel = (t: Target, short: boolean): number => {
        if (typeof t === 'number') return t;
        const pos = this.labels.get(t);
        if (pos === undefined || pos <= pc) throw internal(`label ${t} is not placed after instruction ${pc}`);
        const off = pos - pc - 1;
        if (short && off > 255) throw internal(`conditional jump of ${off} at ${pc} exceeds 255`);
        return off;
      };
      return { code: i.code, jt: rel(i.jt, true), jf: rel(i.jf, true), k: rel(i.k, false) };
    });
  }
}

function internal(msg: string): BerthError {
  return new BerthError('seccomp_internal', 'internal', `failed to assemble seccomp program: ${msg}`);
}

/** struct sock_filter[] as little-endian bytes: u16 code, u8 jt, u8 jf, u32 k. */
export function encode(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((i, n) => {
    buf.writeUInt16LE(i.code, n * 8);
    buf.writeUInt8(i.jt, n * 8 + 2);
    buf.writeUInt8(i.jf, n * 8 + 3);
    buf.writeUInt32LE(i.k >>> 0, n * 8 + 4);
  });
  return buf;
}
