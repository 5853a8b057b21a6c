export type { Syscalls, CapabilitySets } from './types.js';
export { BPF, CLONE, MNT, PR, S_IF, SYS, makedev } from './constants.js';
export { errnoCategory, errnoName, errnoNumber, syscallError, type SyscallErrorDetails } from './errno.js';
export { FakeSyscalls, type RecordedCall, type SyscallName } from './fake.js';
export { createSyscalls, KoffiSyscalls } from './koffi.js';
export { closeFd, decodeWaitStatus, nativeSpawnAvailable, socketPair, spawnProcess, type Exit, type SpawnOptions, type SpawnedProcess } from './spawn.js';
export { signalNumber } from './signals.js';
