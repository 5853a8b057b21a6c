/**
 * Default and hardened configurations: what `runc spec` writes (with Docker's capability set and
 * masked paths), its rootless variant, and the fill-in used for image-derived specs.
 * Pure functions: every call returns fresh objects the caller may mutate.
 */
import type { LinuxDevice, LinuxNamespace, Mount, Spec } from './types.js';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set (moby oci/caps/defaults.go), in its order. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]);

export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/** A device with every field set, as the runtime creates it. */
export type DefaultDevice = Required<LinuxDevice>;

/** Docker's default device nodes (moby oci/devices_linux.go, runc AllowedDevices). */
export function defaultDevices(): DefaultDevice[] {
  const dev = (path: string, major: number, minor: number): DefaultDevice => ({
    path,
    type: 'c',
    major,
    minor,
    fileMode: 0o666,
    uid: 0,
    gid: 0,
  });
  return [
    dev('/dev/null', 1, 3),
    dev('/dev/zero', 1, 5),
    dev('/dev/full', 1, 7),
    dev('/dev/random', 1, 8),
    dev('/dev/urandom', 1, 9),
    dev('/dev/tty', 5, 0),
  ];
}

/** The mounts `runc spec` writes, in its order. */
export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function defaultNamespaces(): LinuxNamespace[] {
  return [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
}

export interface DefaultSpecOptions {
  /** process.args; default ["sh"]. */
  args?: string[];
  /** Like `runc spec --rootless`: user namespace mapping `uid`/`gid` to root, no network ns. */
  rootless?: boolean;
  /** process.terminal; default true, as runc writes it. */
  terminal?: boolean;
  /** Host uid/gid mapped to container root when rootless; default the caller's euid/egid. */
  uid?: number;
  gid?: number;
}

/** What `runc spec` (or `runc spec --rootless`) writes, with Docker's capabilities and masks. */
export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const caps = [...DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: '1.2.0',
    process: {
      terminal: opts.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: opts.args ? [...opts.args] : ['sh'],
      env: [DEFAULT_PATH_ENV, 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'berth',
    mounts: defaultMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: defaultNamespaces(),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  return opts.rootless ? toRootless(spec, opts.uid ?? process.geteuid?.() ?? 0, opts.gid ?? process.getegid?.() ?? 0) : spec;
}

/** runc's ToRootless: user ns with a 1:1 mapping, no network ns, /sys bound, no uid=/gid=. */
function toRootless(spec: Spec, uid: number, gid: number): Spec {
  const linux = spec.linux ?? {};
  const namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  namespaces.push({ type: 'user' });
  linux.namespaces = namespaces;
  linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  delete linux.resources;
  spec.linux = linux;
  spec.mounts = (spec.mounts ?? []).map((m): Mount => {
    if (m.destination === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    if (!m.options) return m;
    return { ...m, options: m.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) };
  });
  return spec;
}

/**
 * Fills what an image-derived spec lacks, never overriding what it sets: process defaults
 * (cwd "/", PATH, uid 0, Docker capabilities, NOFILE 1024, noNewPrivileges), root "rootfs",
 * the default mounts whose destination is not already mounted, namespaces, masked and
 * read-only paths, and a deny-all device cgroup rule ahead of the spec's own rules.
 */
export function hardenedDefaults(input: Spec): Spec {
  const spec = structuredClone(input);
  const base = defaultSpec({ terminal: false });
  if (!spec.ociVersion) spec.ociVersion = base.ociVersion;
  const baseProc = base.process!;
  if (!spec.process) {
    spec.process = baseProc;
  } else {
    const p = spec.process;
    p.user ??= { uid: 0, gid: 0 };
    if (!p.cwd) p.cwd = '/';
    p.env ??= [];
    if (!p.env.some((e) => e.startsWith('PATH='))) p.env.unshift(DEFAULT_PATH_ENV);
    p.capabilities ??= baseProc.capabilities;
    p.rlimits ??= baseProc.rlimits;
    p.noNewPrivileges ??= true;
    p.terminal ??= false;
  }
  spec.root ??= { path: 'rootfs' };
  const have = new Set((spec.mounts ?? []).map((m) => normalizeDest(m.destination)));
  const missing = defaultMounts().filter((m) => !have.has(m.destination));
  // Docker sorts by path depth so a parent is mounted before what lies beneath it.
  if (missing.length > 0) spec.mounts = [...missing, ...(spec.mounts ?? [])].sort((a, b) => depth(a.destination) - depth(b.destination));
  const linux = (spec.linux ??= {});
  if (!linux.namespaces || linux.namespaces.length === 0) linux.namespaces = defaultNamespaces();
  linux.maskedPaths ??= [...DEFAULT_MASKED_PATHS];
  linux.readonlyPaths ??= [...DEFAULT_READONLY_PATHS];
  const resources = (linux.resources ??= {});
  const rules = resources.devices ?? [];
  const first = rules[0];
  const startsDenyAll = first !== undefined && !first.allow && (first.type ?? 'a') === 'a' && first.major == null && first.minor == null;
  if (!startsDenyAll) resources.devices = [{ allow: false, access: 'rwm' }, ...rules];
  return spec;
}

function normalizeDest(dest: string): string {
  const trimmed = dest.replace(/\/+/g, '/');
  return trimmed.length > 1 ? trimmed.replace(/\/$/, '') : trimmed;
}

function depth(dest: string): number {
  return normalizeDest(dest).split('/').filter((p) => p !== '').length;
}
