/**
 * validateSpec / parseSpec: checks a config.json before `create`, collecting every problem
 * with a JSON path (e.g. `linux.namespaces[2].type`). The checks follow runc's
 * libcontainer/configs/validate and specconv, so a spec runc rejects is rejected here too.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../errors.js';
import { capabilityNameProblem } from './capabilities.js';
import type { Spec } from './types.js';
import { validateLinux } from './validate-linux.js';
import {
  arrField,
  at,
  boolField,
  cpuListProblem,
  intField,
  isAbs,
  isObj,
  Issues,
  objField,
  strField,
  strings,
  type Obj,
  type ValidationIssue,
} from './validate-util.js';

export type { ValidationIssue } from './validate-util.js';

/** RLIMIT_* names and their numbers on Linux (asm-generic/resource.h). */
export const RLIMIT_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'];

export interface ValidateOptions {
  /** Bundle directory: when given, root.path is resolved against it and must be a directory. */
  bundle?: string;
}

/** Every problem in `spec` as a config for `create` (process required). Empty when valid. */
export function validateSpec(spec: unknown, opts: ValidateOptions = {}): ValidationIssue[] {
  const issues = new Issues();
  if (!isObj(spec)) {
    issues.add('$', 'config must be a JSON object');
    return issues.list;
  }
  checkVersion(issues, spec);
  checkRoot(issues, spec, opts.bundle);
  checkProcess(issues, spec);
  checkMounts(issues, spec);
  checkHooks(issues, spec);
  strField(issues, spec, 'hostname', '');
  strField(issues, spec, 'domainname', '');
  const ann = objField(issues, spec, 'annotations', '');
  if (ann) for (const [k, v] of Object.entries(ann)) if (typeof v !== 'string') issues.add(at('annotations', k), 'must be a string');
  validateLinux(issues, spec);
  return issues.list;
}

/** Error thrown by parseSpec; `issues` lists every problem. */
export class SpecValidationError extends BerthError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], cause?: unknown) {
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    super('invalid_spec', 'invalid_argument', `failed to validate config.json: ${text}`, cause === undefined ? {} : { cause });
    this.issues = issues;
  }
}

/**
 * Parses (when given a string) and validates a config; returns it typed as Spec. Throws
 * SpecValidationError (code 'invalid_spec', category 'invalid_argument') listing all issues.
 */
export function parseSpec(json: string | unknown, opts: ValidateOptions = {}): Spec {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new SpecValidationError([{ path: '$', message: `invalid JSON: ${(err as Error).message}` }], err);
    }
  }
  const issues = validateSpec(value, opts);
  if (issues.length > 0) throw new SpecValidationError(issues);
  return value as Spec;
}

function checkVersion(issues: Issues, spec: Obj): void {
  const v = spec.ociVersion;
  if (v === undefined) return issues.add('ociVersion', 'is required');
  if (typeof v !== 'string') return issues.add('ociVersion', 'must be a string');
  // Any 1.x: minor versions only add properties, and a runtime must ignore properties it does
  // not know (runtime-spec config.md, "Extensibility"). Berth implements 1.2.
  if (!/^1\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(v)) issues.add('ociVersion', `unsupported version "${v}" (supported: 1.x.y)`);
}

function checkRoot(issues: Issues, spec: Obj, bundle: string | undefined): void {
  if (spec.root === undefined) return issues.add('root', 'is required');
  const root = objField(issues, spec, 'root', '');
  if (!root) return;
  boolField(issues, root, 'readonly', 'root');
  const p = root.path;
  if (p === undefined || p === '') return issues.add('root.path', 'is required');
  if (typeof p !== 'string') return issues.add('root.path', 'must be a string');
  if (bundle === undefined) return;
  const full = resolve(bundle, p);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    return issues.add('root.path', `${full} does not exist`);
  }
  if (!isDir) issues.add('root.path', `${full} is not a directory`);
}

function checkProcess(issues: Issues, spec: Obj): void {
  if (spec.process === undefined) return issues.add('process', 'is required for create');
  const proc = objField(issues, spec, 'process', '');
  if (!proc) return;
  const P = 'process';
  boolField(issues, proc, 'terminal', P);
  boolField(issues, proc, 'noNewPrivileges', P);
  const cwd = proc.cwd;
  if (cwd === undefined || cwd === '') issues.add('process.cwd', 'is required');
  else if (!isAbs(cwd)) issues.add('process.cwd', `must be an absolute path, got ${JSON.stringify(cwd)}`);
  const args = arrField(issues, proc, 'args', P);
  if (args === undefined) {
    if (proc.args === undefined) issues.add('process.args', 'is required');
  } else if (args.length === 0) issues.add('process.args', 'must not be empty');
  else strings(issues, args, 'process.args');
  const env = arrField(issues, proc, 'env', P);
  if (env) strings(issues, env, 'process.env');
  if (proc.user === undefined) issues.add('process.user', 'is required');
  const user = objField(issues, proc, 'user', P);
  if (user) {
    intField(issues, user, 'uid', 'process.user', { min: 0, max: 0xffffffff, required: true });
    intField(issues, user, 'gid', 'process.user', { min: 0, max: 0xffffffff, required: true });
    intField(issues, user, 'umask', 'process.user', { min: 0, max: 0o777 });
    const gids = arrField(issues, user, 'additionalGids', 'process.user');
    gids?.forEach((g, i) => {
      if (typeof g !== 'number' || !Number.isInteger(g) || g < 0) issues.add(at('process.user.additionalGids', i), 'must be a non-negative integer');
    });
  }
  intField(issues, proc, 'oomScoreAdj', P, { min: -1000, max: 1000 });
  const caps = objField(issues, proc, 'capabilities', P);
  if (caps) {
    for (const set of CAP_SETS) {
      const list = arrField(issues, caps, set, 'process.capabilities');
      list?.forEach((name, i) => {
        const why = capabilityNameProblem(name);
        if (why) issues.add(at(`process.capabilities.${set}`, i), why);
      });
    }
  }
  checkRlimits(issues, proc);
  checkScheduling(issues, proc);
}

/** Scheduling classes and policies by their OCI names (runtime-spec config.md, POSIX process). */
export const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
export const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

function checkScheduling(issues: Issues, proc: Obj): void {
  const io = objField(issues, proc, 'ioPriority', 'process');
  if (io) {
    const cls = strField(issues, io, 'class', 'process.ioPriority');
    if (cls === undefined) issues.add('process.ioPriority.class', 'is required');
    else if (IOPRIO_CLASSES[cls] === undefined) issues.add('process.ioPriority.class', `unknown class "${cls}" (${Object.keys(IOPRIO_CLASSES).join(', ')})`);
    intField(issues, io, 'priority', 'process.ioPriority', { min: 0, max: 7, required: true });
  }
  const s = objField(issues, proc, 'scheduler', 'process');
  if (s) {
    const S = 'process.scheduler';
    const policy = strField(issues, s, 'policy', S);
    if (policy === undefined) issues.add(`${S}.policy`, 'is required');
    else if (SCHED_POLICIES[policy] === undefined) issues.add(`${S}.policy`, `unknown policy "${policy}"`);
    intField(issues, s, 'nice', S, { min: -20, max: 19 });
    intField(issues, s, 'priority', S, { min: 0, max: 99 });
    for (const k of ['runtime', 'deadline', 'period']) intField(issues, s, k, S, { min: 0 });
    arrField(issues, s, 'flags', S)?.forEach((f, i) => {
      if (typeof f !== 'string' || SCHED_FLAGS[f] === undefined) issues.add(at(`${S}.flags`, i), `unknown flag ${JSON.stringify(f)}`);
    });
  }
  const aff = objField(issues, proc, 'execCPUAffinity', 'process');
  if (aff) {
    for (const k of ['initial', 'final']) {
      const v = strField(issues, aff, k, 'process.execCPUAffinity');
      const why = v === undefined ? undefined : cpuListProblem(v);
      if (why) issues.add(`process.execCPUAffinity.${k}`, why);
    }
  }
}

function checkRlimits(issues: Issues, proc: Obj): void {
  const rl = arrField(issues, proc, 'rlimits', 'process');
  if (!rl) return;
  const seen = new Set<string>();
  rl.forEach((r, i) => {
    const p = at('process.rlimits', i);
    if (!isObj(r)) return issues.add(p, 'must be an object');
    const type = strField(issues, r, 'type', p);
    if (type === undefined) {
      if (r.type === undefined) issues.add(at(p, 'type'), 'is required');
    } else if (!Object.prototype.hasOwnProperty.call(RLIMIT_NUMBERS, type)) issues.add(at(p, 'type'), `unknown rlimit type "${type}"`);
    else if (seen.has(type)) issues.add(at(p, 'type'), `duplicate rlimit type "${type}"`);
    else seen.add(type);
    const soft = intField(issues, r, 'soft', p, { min: 0, required: true });
    const hard = intField(issues, r, 'hard', p, { min: 0, required: true });
    if (soft !== undefined && hard !== undefined && soft > hard) issues.add(at(p, 'soft'), `soft limit ${soft} exceeds hard limit ${hard}`);
  });
}

function checkMounts(issues: Issues, spec: Obj): void {
  const mounts = arrField(issues, spec, 'mounts', '');
  mounts?.forEach((m, i) => {
    const p = at('mounts', i);
    if (!isObj(m)) return issues.add(p, 'must be an object');
    const dest = m.destination;
    if (dest === undefined || dest === '') issues.add(at(p, 'destination'), 'is required');
    else if (typeof dest !== 'string') issues.add(at(p, 'destination'), 'must be a string');
    else if (!isAbs(dest)) issues.add(at(p, 'destination'), `must be an absolute path, got ${JSON.stringify(dest)}`);
    const type = strField(issues, m, 'type', p);
    if (type !== undefined && type !== '' && !/^[a-z0-9][a-z0-9._-]*$/.test(type)) issues.add(at(p, 'type'), `invalid filesystem type "${type}"`);
    const source = strField(issues, m, 'source', p);
    const opts = arrField(issues, m, 'options', p);
    const options = opts ? strings(issues, opts, at(p, 'options')) : [];
    const bind = type === 'bind' || options.includes('bind') || options.includes('rbind');
    if (bind && (source === undefined || source === '')) issues.add(at(p, 'source'), 'is required for a bind mount');
    if (!bind && type === undefined && m.type === undefined) issues.add(at(p, 'type'), 'is required unless the mount is a bind mount');
  });
}

function checkHooks(issues: Issues, spec: Obj): void {
  const hooks = objField(issues, spec, 'hooks', '');
  if (!hooks) return;
  for (const [kind, list] of Object.entries(hooks)) {
    const p = at('hooks', kind);
    // config.md: unknown properties MUST be ignored, so unknown hook kinds are not errors.
    if (!HOOK_KINDS.includes(kind)) continue;
    if (!Array.isArray(list)) {
      issues.add(p, 'must be an array');
      continue;
    }
    list.forEach((h, i) => {
      const hp = at(p, i);
      if (!isObj(h)) return issues.add(hp, 'must be an object');
      if (h.path === undefined) issues.add(at(hp, 'path'), 'is required');
      else if (!isAbs(h.path)) issues.add(at(hp, 'path'), `must be an absolute path, got ${JSON.stringify(h.path)}`);
      const args = arrField(issues, h, 'args', hp);
      if (args) strings(issues, args, at(hp, 'args'));
      const env = arrField(issues, h, 'env', hp);
      if (env) strings(issues, env, at(hp, 'env'));
      intField(issues, h, 'timeout', hp, { min: 1 });
    });
  }
}
