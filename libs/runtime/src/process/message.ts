/**
 * Turns launch/exec options into the shim's binary message. Everything that can be decided
 * before fork is decided here (DESIGN.md "Process model"); the shim only executes.
 */
import { BerthError } from '../errors.js';
import type { RootfsPlan } from '../rootfs/types.js';
import type { Hook, NamespaceType, Process } from '../spec/types.js';
import { CLONE } from '../sys/constants.js';
import { capabilityMasks } from './capabilities.js';
import { IOPRIO_CLASSES, PERSONALITY_DOMAINS, SCHED_FLAGS, SCHED_POLICIES } from '../spec/index.js';
import { MessageBuilder, MSG_KIND, TAG } from './protocol.js';
import type { ExecOptions, LaunchInitOptions, StdioConfig } from './types.js';

export const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  mount: CLONE.NEWNS,
  cgroup: CLONE.NEWCGROUP,
  uts: CLONE.NEWUTS,
  ipc: CLONE.NEWIPC,
  user: CLONE.NEWUSER,
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  time: CLONE.NEWTIME,
};

/** Names of /proc/<pid>/ns/* entries. */
export const NAMESPACE_FILES: Record<NamespaceType, string> = {
  mount: 'mnt', cgroup: 'cgroup', uts: 'uts', ipc: 'ipc', user: 'user', pid: 'pid', network: 'net', time: 'time',
};

/** RLIMIT_* numbers from <sys/resource.h> (x86-64, arm64). */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

const U64_MAX = (1n << 64n) - 1n;

function invalid(what: string, why: string, containerId: string): BerthError {
  return new BerthError('invalid_process_config', 'invalid_argument', `failed to prepare ${what}: ${why}`, { containerId });
}

/** OCI rlimit values are JSON numbers; 2^64-1 (unlimited) is not exact as a double. */
function rlimitValue(n: number): bigint {
  if (!Number.isFinite(n) || n < 0) return -1n;
  return n >= 2 ** 64 - 1 ? U64_MAX : BigInt(Math.trunc(n));
}

/** The host id of `id` inside a user namespace with `map` (itself without a map); undefined if unmapped. */
function hostId(map: { containerID: number; hostID: number; size: number }[], id: number): number | undefined {
  if (map.length === 0) return id;
  const m = map.find((e) => id >= e.containerID && id < e.containerID + e.size);
  return m ? m.hostID + (id - m.containerID) : undefined;
}

/** A cpuset list ("0-3,7") as the bit mask sched_setaffinity takes (64-bit words, little-endian). */
export function cpuMask(list: string): Buffer {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [lo, hi] = part.trim().split('-').map(Number) as [number, number | undefined];
    for (let c = lo; c <= (hi ?? lo); c++) cpus.push(c);
  }
  const mask = Buffer.alloc(Math.ceil((Math.max(...cpus) + 1) / 64) * 8);
  for (const c of cpus) mask[c >> 3] = (mask[c >> 3] ?? 0) | (1 << (c & 7));
  return mask;
}

function addProcess(b: MessageBuilder, p: Process, id: string, withTerminal: boolean): void {
  const args = p.args ?? [];
  if (args.length === 0) throw invalid('process', 'process.args is empty', id);
  for (const a of args) b.str(TAG.ARG, 'process.args', a);
  for (const e of p.env ?? []) b.str(TAG.ENV, 'process.env', e);
  if (!p.cwd.startsWith('/')) throw invalid('process', `process.cwd "${p.cwd}" is not absolute`, id);
  b.str(TAG.CWD, 'process.cwd', p.cwd);
  const u = p.user;
  const umask = u.umask ?? 0o022;
  b.add(TAG.USER, 'process.user', (f) => {
    f.u32(u.uid, 'uid').u32(u.gid, 'gid').u32(umask, 'umask');
    const gids = u.additionalGids ?? [];
    f.u32(gids.length, 'additionalGids count');
    for (const g of gids) f.u32(g, 'additionalGids');
  });
  if (p.capabilities) {
    const m = capabilityMasks(p.capabilities);
    b.add(TAG.CAPS, 'process.capabilities', (f) =>
      f.u64(m.bounding, 'bounding').u64(m.effective, 'effective').u64(m.permitted, 'permitted')
        .u64(m.inheritable, 'inheritable').u64(m.ambient, 'ambient'));
  }
  for (const r of p.rlimits ?? []) {
    const num = RLIMITS[r.type];
    if (num === undefined) throw invalid('process', `unknown rlimit type "${r.type}"`, id);
    const soft = rlimitValue(r.soft);
    const hard = rlimitValue(r.hard);
    if (soft < 0n || hard < 0n) throw invalid('process', `rlimit ${r.type} has a negative value`, id);
    if (soft > hard) throw invalid('process', `rlimit ${r.type} soft ${r.soft} exceeds hard ${r.hard}`, id);
    b.add(TAG.RLIMIT, `rlimit ${r.type}`, (f) => f.u32(num, 'type').u64(soft, 'soft').u64(hard, 'hard'));
  }
  if (p.noNewPrivileges) b.add(TAG.NO_NEW_PRIVS, 'noNewPrivileges');
  if (p.ioPriority) {
    const cls = IOPRIO_CLASSES[p.ioPriority.class];
    if (cls === undefined) throw invalid('process', `unknown ioPriority class "${p.ioPriority.class}"`, id);
    const prio = p.ioPriority.priority;
    b.add(TAG.IOPRIO, 'process.ioPriority', (f) => f.u32((cls << 13) | prio, 'ioPriority'));
  }
  const s = p.scheduler;
  if (s) {
    const policy = SCHED_POLICIES[s.policy];
    if (policy === undefined) throw invalid('process', `unknown scheduler policy "${s.policy}"`, id);
    let flags = 0n;
    for (const name of s.flags ?? []) {
      const bit = SCHED_FLAGS[name];
      if (bit === undefined) throw invalid('process', `unknown scheduler flag "${name}"`, id);
      flags |= BigInt(bit);
    }
    b.add(TAG.SCHED, 'process.scheduler', (f) =>
      f.u32(policy, 'policy').u64(flags, 'flags').i32(s.nice ?? 0, 'nice').u32(s.priority ?? 0, 'priority')
        .u64(BigInt(s.runtime ?? 0), 'runtime').u64(BigInt(s.deadline ?? 0), 'deadline').u64(BigInt(s.period ?? 0), 'period'));
  }
  // The process is in its cgroups before it execs: "final" is the affinity it runs with ("initial"
  // without one).
  const cpus = p.execCPUAffinity?.final || p.execCPUAffinity?.initial;
  if (cpus) b.add(TAG.CPU_AFFINITY, 'process.execCPUAffinity', (f) => f.bytes(cpuMask(cpus), 'cpus'));
  if (p.terminal && !withTerminal) throw invalid('process', 'process.terminal needs a consoleSocket', id);
  if (p.terminal && p.consoleSize) {
    const s = p.consoleSize;
    b.add(TAG.CONSOLE_SIZE, 'process.consoleSize', (f) => f.u32(s.height, 'height').u32(s.width, 'width'));
  }
}

function addCommon(b: MessageBuilder, o: {
  containerId: string; seccomp?: Buffer; seccompFlags?: number;
  consoleSocket?: string; stdio?: StdioConfig; exitFile: string;
}, terminal: boolean): void {
  b.str(TAG.CONTAINER_ID, 'containerId', o.containerId);
  if (o.seccomp) {
    if (o.seccomp.length === 0 || o.seccomp.length % 8 !== 0) {
      throw invalid('seccomp filter', `${o.seccomp.length} bytes is not a whole number of 8-byte sock_filter entries`, o.containerId);
    }
    const bpf = o.seccomp;
    b.add(TAG.SECCOMP, 'seccomp', (f) => f.bytes(bpf, 'seccomp'));
    if (o.seccompFlags) b.add(TAG.SECCOMP_FLAGS, 'seccompFlags', (f) => f.u32(o.seccompFlags ?? 0, 'seccompFlags'));
  }
  if (o.consoleSocket !== undefined) {
    if (!terminal) throw invalid('process', 'a consoleSocket was given but process.terminal is false', o.containerId);
    b.str(TAG.CONSOLE_SOCKET, 'consoleSocket', o.consoleSocket);
  }
  const stdio = o.stdio ?? 'inherit';
  if (stdio !== 'inherit') {
    b.add(TAG.STDIO_FILES, 'stdio', (f) =>
      f.str(stdio.stdout, 'stdout').str(stdio.stderr, 'stderr').u64(BigInt(stdio.maxSize ?? 0), 'maxSize'));
  }
  b.str(TAG.EXIT_FILE, 'exitFile', o.exitFile);
}

function addHooks(b: MessageBuilder, tag: number, kind: string, hooks: Hook[]): void {
  for (const h of hooks) {
    b.add(tag, `${kind} hook ${h.path}`, (f) => {
      f.u32(h.timeout ?? 0, 'timeout').str(h.path, 'path');
      const args = h.args ?? [];
      f.u32(args.length, 'args count');
      for (const a of args) f.str(a, 'args');
      const env = h.env ?? [];
      f.u32(env.length, 'env count');
      for (const e of env) f.str(e, 'env');
    });
  }
}

function addRootfs(b: MessageBuilder, r: RootfsPlan): void {
  b.str(TAG.ROOTFS, 'rootfs', r.rootfs);
  b.add(TAG.ROOT_PROPAGATION, 'rootPropagation', (f) => f.u32(r.rootPropagation, 'rootPropagation'));
  if (r.readonlyRoot) b.add(TAG.READONLY_ROOT, 'readonlyRoot');
  for (const m of r.mounts) {
    b.add(TAG.MOUNT, `mount ${m.target}`, (f) => {
      f.u32(m.flags, 'flags').u32(m.remountFlags, 'remountFlags').u32(m.createAs === 'file' ? 1 : 0, 'createAs');
      f.u32(m.propagation.length, 'propagation count');
      for (const p of m.propagation) f.u32(p, 'propagation');
      f.str(m.source, 'source').str(m.target, 'target').str(m.fstype, 'fstype').str(m.data, 'data');
    });
  }
  for (const d of r.devices) {
    b.add(TAG.DEVICE, `device ${d.path}`, (f) =>
      f.u32(d.type.charCodeAt(0), 'type').u32(d.major, 'major').u32(d.minor, 'minor').u32(d.fileMode, 'fileMode')
        .u32(d.uid, 'uid').u32(d.gid, 'gid').str(d.path, 'path'));
  }
  for (const s of r.symlinks) b.add(TAG.SYMLINK, `symlink ${s.path}`, (f) => f.str(s.path, 'path').str(s.target, 'target'));
  for (const p of r.maskedPaths) b.str(TAG.MASKED, 'maskedPaths', p);
  for (const p of r.readonlyPaths) b.str(TAG.READONLY_PATH, 'readonlyPaths', p);
}

/** The `init` message for launchInit. */
export function encodeInitMessage(o: LaunchInitOptions): Buffer {
  const id = o.containerId;
  const proc = o.spec.process;
  if (!proc) throw invalid('process', 'spec.process is missing', id);
  const b = new MessageBuilder(MSG_KIND.init);
  addCommon(b, o, proc.terminal === true);
  addProcess(b, proc, id, o.consoleSocket !== undefined);
  const seen = new Set<NamespaceType>();
  for (const ns of o.namespaces) {
    if (seen.has(ns.type)) throw invalid('namespaces', `namespace "${ns.type}" is listed twice`, id);
    seen.add(ns.type);
    const flag = NAMESPACE_FLAGS[ns.type];
    if (flag === undefined) throw invalid('namespaces', `unknown namespace type "${String(ns.type)}"`, id);
    b.add(TAG.NS, `namespace ${ns.type}`, (f) => f.u32(flag, 'type').str(ns.path ?? '', 'path'));
  }
  if (!o.namespaces.some((n) => n.type === 'mount')) {
    // runc falls back to chroot and leaves the container's mounts in the host's namespace;
    // Berth refuses: its mounts and pivot_root would change the runtime's own file system view.
    throw invalid('namespaces', 'the container needs a mount namespace (add {"type": "mount"} to linux.namespaces): its root filesystem is set up there', id);
  }
  const offsets = Object.entries(o.spec.linux?.timeOffsets ?? {});
  if (offsets.length > 0) {
    // Offsets apply before the first process enters the namespace, so only to a new one.
    if (!o.namespaces.some((n) => n.type === 'time' && !n.path)) throw invalid('timeOffsets', 'time offsets need a new time namespace', id);
    for (const [clock, v] of offsets) b.str(TAG.TIME_OFFSET, `timeOffsets.${clock}`, `${clock} ${Math.trunc(v.secs ?? 0)} ${Math.trunc(v.nanosecs ?? 0)}`);
  }
  const newUser = o.namespaces.some((n) => n.type === 'user' && !n.path);
  // The process places itself (see LaunchInitOptions.cgroupSelfFiles) when it sees the caller's
  // /sys/fs/cgroup and may write there; otherwise the shim writes its pid to cgroup.procs.
  const selfPlace = (o.cgroupSelfFiles?.length ?? 0) > 0 && !newUser && !o.namespaces.some((n) => n.path);
  if (selfPlace) for (const file of o.cgroupSelfFiles ?? []) b.str(TAG.CGROUP_SELF, 'cgroupSelfFiles', file);
  else for (const file of o.cgroupProcsFiles) b.str(TAG.CGROUP_PROCS, 'cgroupProcsFiles', file);
  const uidMap = o.uidMappings ?? o.spec.linux?.uidMappings ?? [];
  const gidMap = o.gidMappings ?? o.spec.linux?.gidMappings ?? [];
  if (!newUser && (uidMap.length > 0 || gidMap.length > 0)) {
    throw invalid('namespaces', 'uid/gid mappings need a new user namespace', id);
  }
  for (const [tag, list] of [[TAG.UIDMAP, uidMap], [TAG.GIDMAP, gidMap]] as const) {
    for (const m of list) {
      b.add(tag, 'id mapping', (f) => f.u32(m.containerID, 'containerID').u32(m.hostID, 'hostID').u32(m.size, 'size'));
    }
  }
  if (o.setgroupsDeny) b.add(TAG.SETGROUPS_DENY, 'setgroupsDeny');
  // An empty name is no name (runc and the spec validator treat it so).
  const hostname = o.spec.hostname || undefined;
  const domainname = o.spec.domainname || undefined;
  // A uts namespace of the container's own, new or joined by path (the name is then set in the
  // joined one, as runc does); never the runtime's.
  if ((hostname !== undefined || domainname !== undefined) && !o.namespaces.some((n) => n.type === 'uts')) {
    throw invalid('hostname', 'setting hostname or domainname needs a uts namespace', id);
  }
  const persona = o.spec.linux?.personality;
  if (persona) {
    const value = PERSONALITY_DOMAINS[persona.domain];
    if (value === undefined) throw invalid('personality', `unknown domain "${persona.domain}"`, id);
    b.add(TAG.PERSONALITY, 'linux.personality', (f) => f.u32(value, 'domain'));
  }
  if (hostname !== undefined) b.str(TAG.HOSTNAME, 'hostname', hostname);
  if (domainname !== undefined) b.str(TAG.DOMAINNAME, 'domainname', domainname);
  if (proc.oomScoreAdj !== undefined) b.add(TAG.OOM_SCORE_ADJ, 'oomScoreAdj', (f) => f.i32(proc.oomScoreAdj ?? 0, 'oomScoreAdj'));
  if (o.oomEventsFile) b.str(TAG.OOM_FILE, 'oomEventsFile', o.oomEventsFile);
  if (o.execFifo) {
    b.str(TAG.EXEC_FIFO, 'execFifo', o.execFifo);
    // The process opens it for writing after it became its user. In a user namespace its
    // capabilities do not cover a file of an unmapped owner (root): the FIFO (0600) belongs
    // to that user's host ids. (runc gives it to the container's root, mode 0622.)
    const uid = hostId(uidMap, proc.user.uid);
    const gid = hostId(gidMap, proc.user.gid);
    if (uid !== undefined && gid !== undefined) b.add(TAG.EXEC_FIFO_OWNER, 'execFifo owner', (f) => f.u32(uid, 'uid').u32(gid, 'gid'));
  }
  for (const [k, v] of Object.entries(o.spec.linux?.sysctl ?? {})) {
    if (!/^[A-Za-z0-9_.\-/]+$/.test(k) || k.includes('..')) throw invalid('sysctl', `invalid sysctl name "${k}"`, id);
    b.add(TAG.SYSCTL, `sysctl ${k}`, (f) => f.str(k, 'key').str(v, 'value'));
  }
  addRootfs(b, o.rootfs);
  addHooks(b, TAG.HOOK_CREATE_CONTAINER, 'createContainer', o.createContainerHooks ?? []);
  addHooks(b, TAG.HOOK_START_CONTAINER, 'startContainer', o.startContainerHooks ?? []);
  if (o.deferCgroupPlacement && !selfPlace) b.add(TAG.DEFER_CGROUP, 'deferCgroupPlacement');
  if (o.detach) b.add(TAG.SETSID, 'detach');
  return b.finish();
}

/** The `exec` message; `joins` are the namespace files to enter, already filtered. */
export function encodeExecMessage(o: ExecOptions, joins: { type: NamespaceType; path: string }[]): Buffer {
  const b = new MessageBuilder(MSG_KIND.exec);
  addCommon(b, o, o.process.terminal === true);
  addProcess(b, o.process, o.containerId, o.consoleSocket !== undefined);
  for (const file of o.cgroupProcsFiles) b.str(TAG.CGROUP_PROCS, 'cgroupProcsFiles', file);
  for (const j of joins) b.add(TAG.NS, `namespace ${j.type}`, (f) => f.u32(NAMESPACE_FLAGS[j.type], 'type').str(j.path, 'path'));
  if (o.detach) b.add(TAG.SETSID, 'detach');
  return b.finish();
}
