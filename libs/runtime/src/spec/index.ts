export * from './types.js';
export * from './capabilities.js';
export * from './defaults.js';
export {
  validateSpec, parseSpec, SpecValidationError, RLIMIT_NUMBERS, IOPRIO_CLASSES, SCHED_POLICIES, SCHED_FLAGS, type ValidateOptions, type ValidationIssue,
} from './validate.js';
export { PERSONALITY_DOMAINS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAG_NAMES, SECCOMP_OPERATORS } from './validate-linux.js';
