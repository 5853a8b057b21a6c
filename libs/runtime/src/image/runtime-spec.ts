/**
 * Image config -> OCI runtime spec, with Docker's rules for what the user overrides, then
 * Berth's hardened defaults (spec/defaults.ts hardenedDefaults). The conversion of the fields
 * the runtime has no place for follows the image-spec's conversion.md: ExposedPorts,
 * StopSignal, Labels, os/architecture/author/created become annotations.
 * https://github.com/opencontainers/image-spec/blob/main/conversion.md
 */
import { BerthError } from '../errors.js';
import { DEFAULT_PATH_ENV, hardenedDefaults } from '../spec/index.js';
import type { LinuxResources, Spec } from '../spec/types.js';
import type { ImageConfig } from './config.js';
import { resolveUser, type UserDb } from './runtime-spec-user.js';

/** What `docker run` flags may change; every field is optional. */
export interface ImageSpecOverrides {
  /** Replaces the image's Cmd (`docker run IMAGE CMD...`). */
  readonly cmd?: readonly string[];
  /** Replaces the image's Entrypoint and drops its Cmd (`--entrypoint`); [] clears it. */
  readonly entrypoint?: readonly string[];
  /** `K=V` entries; a key given here wins over the image's value. */
  readonly env?: readonly string[];
  /** Absolute working directory (`-w`). */
  readonly workdir?: string;
  /** `uid`, `uid:gid`, `name`, `name:group` (`-u`). */
  readonly user?: string;
  readonly hostname?: string;
  /** Allocate a terminal (also sets TERM=xterm unless given). */
  readonly tty?: boolean;
  /** Mount the root filesystem read-only. */
  readonly readOnly?: boolean;
  /** Memory limit in bytes. */
  readonly memory?: number;
  /** CPU limit in CPUs (0.5 = half a CPU), as CFS quota over a 100 ms period. */
  readonly cpus?: number;
  readonly pidsLimit?: number;
  /** linux.cgroupsPath (relative: beneath the runtime's own cgroup). */
  readonly cgroupsPath?: string;
  /** Extra annotations; they win over those derived from the image. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageSpecOptions {
  /** The image's /etc/passwd and /etc/group (see readUserDb), for user names and groups. */
  readonly userDb?: UserDb;
  /** Default hostname when the overrides give none (Docker: the short container id). */
  readonly defaultHostname?: string;
  /** spec.root.path (default "rootfs", relative to the bundle). */
  readonly rootPath?: string;
}

/** Annotation keys written for image fields the runtime spec has no place for. */
export const IMAGE_ANNOTATIONS = {
  os: 'org.opencontainers.image.os',
  architecture: 'org.opencontainers.image.architecture',
  variant: 'org.opencontainers.image.variant',
  author: 'org.opencontainers.image.author',
  created: 'org.opencontainers.image.created',
  exposedPorts: 'org.opencontainers.image.exposedPorts',
  stopSignal: 'org.opencontainers.image.stopSignal',
  /** Not in conversion.md: the image's declared volumes, comma-separated. */
  volumes: 'io.berth.image.volumes',
} as const;

const CFS_PERIOD_US = 100_000;

function invalid(what: string, why: string): BerthError {
  return new BerthError('invalid_run_config', 'invalid_argument', `failed to build spec from image: ${what} ${why}`);
}

function envKey(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Image Env overlaid with overrides per key (order: image order, new keys appended). */
export function mergeEnv(image: readonly string[], overrides: readonly string[]): string[] {
  const out: string[] = [];
  const index = new Map<string, number>();
  const put = (e: string, from: string) => {
    const k = envKey(e);
    if (!e.includes('=') || k === '') throw invalid(`${from} entry ${JSON.stringify(e)}`, 'must have the form KEY=VALUE');
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, out.length);
      out.push(e);
    } else {
      out[at] = e;
    }
  };
  for (const e of image) put(e, 'image Env');
  for (const e of overrides) put(e, 'env');
  return out;
}

/** Docker's rule: an entrypoint override drops the image Cmd; a cmd override replaces Cmd. */
export function commandLine(config: ImageConfig['config'], o: Pick<ImageSpecOverrides, 'cmd' | 'entrypoint'>): string[] {
  const entrypoint = o.entrypoint ?? config.Entrypoint ?? [];
  const cmd = o.cmd ?? (o.entrypoint !== undefined ? [] : (config.Cmd ?? []));
  return [...entrypoint, ...cmd];
}

function resources(o: ImageSpecOverrides): LinuxResources | undefined {
  const r: LinuxResources = {};
  if (o.memory !== undefined) {
    if (!Number.isSafeInteger(o.memory) || o.memory < 6 * 1024 * 1024) throw invalid('memory', `${o.memory} must be a whole number of bytes, at least 6 MiB`);
    r.memory = { limit: o.memory };
  }
  if (o.cpus !== undefined) {
    if (!Number.isFinite(o.cpus) || o.cpus <= 0) throw invalid('cpus', `${o.cpus} must be a positive number`);
    const quota = Math.round(o.cpus * CFS_PERIOD_US);
    if (quota < 1000) throw invalid('cpus', `${o.cpus} is below the minimum of 0.01`);
    r.cpu = { quota, period: CFS_PERIOD_US };
  }
  if (o.pidsLimit !== undefined) {
    if (!Number.isSafeInteger(o.pidsLimit) || o.pidsLimit <= 0) throw invalid('pidsLimit', `${o.pidsLimit} must be a positive whole number`);
    r.pids = { limit: o.pidsLimit };
  }
  return Object.keys(r).length > 0 ? r : undefined;
}

function annotations(image: ImageConfig, o: ImageSpecOverrides): Record<string, string> {
  const c = image.config;
  const a: Record<string, string> = { ...(c.Labels ?? {}) };
  a[IMAGE_ANNOTATIONS.os] = image.os;
  a[IMAGE_ANNOTATIONS.architecture] = image.architecture;
  if (image.variant) a[IMAGE_ANNOTATIONS.variant] = image.variant;
  if (image.author) a[IMAGE_ANNOTATIONS.author] = image.author;
  if (image.created) a[IMAGE_ANNOTATIONS.created] = image.created;
  const ports = Object.keys(c.ExposedPorts ?? {});
  if (ports.length > 0) a[IMAGE_ANNOTATIONS.exposedPorts] = ports.join(',');
  if (c.StopSignal) a[IMAGE_ANNOTATIONS.stopSignal] = c.StopSignal;
  const volumes = Object.keys(c.Volumes ?? {});
  if (volumes.length > 0) a[IMAGE_ANNOTATIONS.volumes] = volumes.join(',');
  return { ...a, ...(o.annotations ?? {}) };
}

/**
 * The OCI spec a container of `image` runs with: process args from Entrypoint + Cmd, env
 * (PATH default, HOSTNAME, HOME of the user, TERM with a tty), cwd, user with supplementary
 * groups, hostname, resources and annotations, completed by hardenedDefaults. Throws
 * BerthError (invalid_argument) naming the field when something cannot be honoured.
 */
export function specFromImage(image: ImageConfig, overrides: ImageSpecOverrides = {}, opts: ImageSpecOptions = {}): Spec {
  const c = image.config;
  const args = commandLine(c, overrides);
  if (args.length === 0) throw invalid('command', 'is empty: the image has no Entrypoint or Cmd and none was given');
  if (args[0] === '') throw invalid('command', 'starts with an empty program name');

  const cwd = overrides.workdir ?? (c.WorkingDir || '/');
  if (!cwd.startsWith('/')) throw invalid(overrides.workdir !== undefined ? 'workdir' : 'image WorkingDir', `${JSON.stringify(cwd)} must be an absolute path`);

  const user = resolveUser(overrides.user ?? c.User ?? '', opts.userDb ?? {});
  const hostname = overrides.hostname ?? opts.defaultHostname;
  if (hostname !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(hostname)) {
    throw invalid('hostname', `${JSON.stringify(hostname)} must be 1-63 letters, digits, '.' or '-', starting with a letter or digit`);
  }

  const env = mergeEnv(c.Env ?? [], overrides.env ?? []);
  const keys = new Set(env.map(envKey));
  if (!keys.has('PATH')) env.unshift(DEFAULT_PATH_ENV);
  if (hostname !== undefined && !keys.has('HOSTNAME')) env.push(`HOSTNAME=${hostname}`);
  if (overrides.tty && !keys.has('TERM')) env.push('TERM=xterm');
  if (!keys.has('HOME')) env.push(`HOME=${user.home}`);

  const spec: Spec = {
    ociVersion: '1.2.0',
    process: {
      terminal: overrides.tty ?? false,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids.length > 0 ? { additionalGids: [...user.additionalGids] } : {}),
        ...(user.username !== undefined ? { username: user.username } : {}),
      },
      args,
      env,
      cwd,
    },
    root: { path: opts.rootPath ?? 'rootfs', readonly: overrides.readOnly ?? false },
    ...(hostname !== undefined ? { hostname } : {}),
    annotations: annotations(image, overrides),
  };
  const res = resources(overrides);
  if (res || overrides.cgroupsPath !== undefined) {
    spec.linux = {
      ...(res ? { resources: res } : {}),
      ...(overrides.cgroupsPath !== undefined ? { cgroupsPath: overrides.cgroupsPath } : {}),
    };
  }
  return hardenedDefaults(spec);
}
