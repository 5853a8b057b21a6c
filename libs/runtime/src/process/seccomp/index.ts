export { compileSeccomp, assembleSeccomp, actionValue, seccompFilterFlags, type CompileOptions } from './compile.js';
export { encode as encodeBpf, type Insn as BpfInsn } from './asm.js';
export { SECCOMP_FILTER_FLAGS, SECCOMP_RET, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, BPF_MAXINSNS } from './constants.js';
export { SYSCALLS_X86_64 } from './syscalls-x86_64.js';
