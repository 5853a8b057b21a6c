/**
 * Fixtures for the privileged process tests: a busybox-static rootfs in a temp dir, a
 * RootfsPlan with /proc, /dev (tmpfs + devpts + nodes), /sys read-only, a minimal spec, and
 * a helper that runs a container to its end and returns its CRI-logged output.
 * Not exported from index.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MS, type RootfsPlan } from '../rootfs/types.js';
import type { Process, Spec } from '../spec/types.js';
import { launchInit } from './launch.js';
import type { ExitRecord, LaunchInitOptions, NamespaceRequest } from './types.js';

export const SHIM_PATH = fileURLToPath(new URL('../../native/build/berth-shim', import.meta.url));
export const skipUnlessRoot = process.getuid?.() !== 0 ? 'needs root' : false;

const APPLETS = ['sh', 'cat', 'echo', 'id', 'hostname', 'ls', 'mknod', 'mkdir', 'sleep', 'grep', 'readlink',
  'pwd', 'wc', 'touch', 'ps', 'true', 'false', 'kill', 'stty', 'tty', 'head'];

/** Builds the shim once per test process (make is a no-op when up to date). */
export function buildShim(): string {
  execFileSync('make', ['-s', '-C', fileURLToPath(new URL('../../native', import.meta.url))], { stdio: 'inherit' });
  return SHIM_PATH;
}

export interface Fixture {
  dir: string;
  rootfs: string;
  cleanup(): Promise<void>;
}

export async function makeRootfs(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-proc-'));
  await chmod(dir, 0o755); // a user-namespaced root must be able to traverse it
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'work']) await mkdir(join(rootfs, d), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const a of APPLETS) await symlink('busybox', join(rootfs, 'bin', a));
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\n');
  return { dir, rootfs, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function basePlan(rootfs: string): RootfsPlan {
  const mount = (source: string, target: string, fstype: string, flags: number, data = '', remountFlags = 0) =>
    ({ source, target, fstype, flags, data, propagation: [], remountFlags, createAs: 'dir' as const });
  const dev = (path: string, minor: number) => ({ path, type: 'c' as const, major: 1, minor, fileMode: 0o666, uid: 0, gid: 0 });
  return {
    rootfs,
    rootPropagation: MS.REC | MS.SLAVE,
    readonlyRoot: false,
    mounts: [
      mount('proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC),
      mount('tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'),
      mount('devpts', '/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620'),
      mount('sysfs', '/sys', 'sysfs', MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY),
    ],
    devices: [dev('/dev/null', 3), dev('/dev/zero', 5), dev('/dev/full', 7), dev('/dev/random', 8), dev('/dev/urandom', 9)],
    symlinks: [{ path: '/dev/ptmx', target: 'pts/ptmx' }, { path: '/dev/fd', target: '/proc/self/fd' }],
    maskedPaths: ['/proc/kcore', '/proc/acpi', '/proc/scsi'],
    readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
  };
}

export function baseProcess(args: string[], over: Partial<Process> = {}): Process {
  return { user: { uid: 0, gid: 0 }, cwd: '/', args, env: ['PATH=/bin', 'HOME=/root'], ...over };
}

export const ALL_NS: NamespaceRequest[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'cgroup'].map((type) => ({ type }) as NamespaceRequest);

/** Launch options for a container in `fx` that logs to files under fx.dir. */
export function options(fx: Fixture, proc: Process, over: Partial<LaunchInitOptions> = {}): LaunchInitOptions {
  const spec: Spec = { ociVersion: '1.2.0', process: proc, hostname: 'box' };
  return {
    shimPath: SHIM_PATH, containerId: 't', stateDir: fx.dir, spec, rootfs: basePlan(fx.rootfs),
    namespaces: ALL_NS, cgroupProcsFiles: [],
    stdio: { stdout: join(fx.dir, 'ctr.log'), stderr: join(fx.dir, 'ctr.log') },
    exitFile: join(fx.dir, 'exit'), detach: false, ...over,
  };
}

/** Text of one stream of a CRI log: lines joined, partial lines glued to the next. */
export async function readCriLog(path: string, stream: 'stdout' | 'stderr'): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return '';
  }
  let out = '';
  for (const line of text.split('\n')) {
    const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (!m) {
      if (line !== '') throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
      continue;
    }
    if (m[1] === stream) out += (m[3] ?? '') + (m[2] === 'F' ? '\n' : '');
  }
  return out;
}

/** Runs to exit; returns the record and both streams. */
export async function runToExit(o: LaunchInitOptions): Promise<{ rec: ExitRecord; stdout: string; stderr: string }> {
  const h = await launchInit(o);
  const rec = await h.wait();
  if (o.stdio === 'inherit') return { rec, stdout: '', stderr: '' };
  return { rec, stdout: await readCriLog(o.stdio.stdout, 'stdout'), stderr: await readCriLog(o.stdio.stderr, 'stderr') };
}

/** Mount points in this process's mount namespace (field 5 of mountinfo, octal escapes kept). */
export async function mountPoints(): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).trim().split('\n').map((l) => l.split(' ')[4] ?? '');
}

/**
 * Runs `fn` with a fresh rootfs; removes it and checks that no mount was left in this
 * namespace under the fixture's directory, also on failure. (Only there: test files run in
 * parallel, and some of them mount elsewhere meanwhile, e.g. a netns bind mount.)
 */
export async function withRootfs(fn: (fx: Fixture) => Promise<void>): Promise<void> {
  const before = new Set(await mountPoints());
  const fx = await makeRootfs();
  try {
    await fn(fx);
  } finally {
    await fx.cleanup();
  }
  const leaked = (await mountPoints()).filter((m) => !before.has(m) && (m === fx.dir || m.startsWith(`${fx.dir}/`)));
  if (leaked.length > 0) throw new Error(`mounts leaked: ${leaked.join(', ')}`);
}

/** Kills a pid if it still exists (test cleanup). */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
