export type {
  ExecHandle, ExecOptions, ExitRecord, InitHandle, LaunchInitOptions, NamespaceRequest, ShimHook, StdioConfig,
} from './types.js';
export { launchInit } from './launch.js';
export type { ShimSpawner } from './shim-client.js';
export { WaitingShim, adoptWaitingShim } from './waiting-shim.js';
export { execInContainer, namespaceJoins } from './exec.js';
export { readExitRecord, parseExitRecord } from './exit-record.js';
export { signalProcess, signalNumber } from './signal.js';
export { encodeInitMessage, encodeExecMessage, NAMESPACE_FLAGS, NAMESPACE_FILES, RLIMITS } from './message.js';
export { decodeMessage, MSG_VERSION, TAG, type RawRecord } from './protocol.js';
export { encodePlanMessage, type FastPathPlan, type PlannedProcess } from './plan.js';
export * from './capabilities.js';
export * from './seccomp/index.js';
