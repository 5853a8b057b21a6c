/**
 * RUN: executes the command in a real Berth container whose rootfs is the step's mounted
 * snapshot, in the foreground, with the runtime's hardened defaults (own namespaces including
 * an empty network namespace, so RUN has loopback only). Output goes to a CRI-format log that
 * is replayed line by line to the caller and quoted in the error when the command fails.
 */
import { lstat, readFile, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { causeText } from '../../errors.js';
import { hardenedDefaults } from '../../spec/index.js';
import type { Spec } from '../../spec/types.js';
import { BuildError } from './errors.js';
import type { BuildRunner } from './ports.js';
import type { ResolvedUser } from '../runtime-spec-user.js';

export interface RunStepInput {
  readonly runner: BuildRunner;
  readonly id: string;
  /** Bundle directory whose `rootfs` is the mounted step root. */
  readonly bundle: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: ResolvedUser;
  /** linux.cgroupsPath prefix (relative to the runtime's own cgroup); default the runtime's. */
  readonly cgroupParent?: string;
  /** Label for messages, e.g. `step 3/9 (line 7) RUN ...`. */
  readonly what: string;
  readonly onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function buildSpec(input: RunStepInput): Spec {
  const spec = hardenedDefaults({
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      args: [...input.args],
      env: [...input.env],
      cwd: input.cwd,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length ? { additionalGids: [...input.user.additionalGids] } : {}) },
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'berth-build',
  });
  if (input.cgroupParent !== undefined) spec.linux = { ...spec.linux, cgroupsPath: `${input.cgroupParent}/${input.id}` };
  return spec;
}

/** Lines of a CRI log (`<time> <stream> <P|F> <text>`), partial lines joined. */
export function parseCriLog(text: string): Array<{ stream: 'stdout' | 'stderr'; line: string }> {
  const out: Array<{ stream: 'stdout' | 'stderr'; line: string }> = [];
  let partial = '';
  for (const l of text.split('\n')) {
    const m = /^\S+ (stdout|stderr) ([PF]) ?(.*)$/.exec(l);
    if (!m) continue;
    partial += m[3] ?? '';
    if (m[2] === 'F') {
      out.push({ stream: m[1] as 'stdout' | 'stderr', line: partial });
      partial = '';
    }
  }
  return out;
}

/**
 * Mount points the runtime creates in the rootfs (/proc, /dev/pts, ...) that did not exist
 * before: found before the run, removed after it if still empty, so they stay out of the layer
 * (BuildKit does the same with its "mount stubs"). Deepest first.
 */
async function missingMountPoints(rootfs: string, spec: Spec): Promise<string[]> {
  const out = new Set<string>();
  for (const m of spec.mounts ?? []) {
    const parts = posix.normalize(`/${m.destination}`).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (!(await lstat(join(rootfs, rel)).then(() => true, () => false))) out.add(rel);
    }
  }
  return [...out].sort((a, b) => b.split('/').length - a.split('/').length);
}

async function removeStubs(rootfs: string, stubs: readonly string[]): Promise<void> {
  for (const rel of stubs) {
    const p = join(rootfs, rel);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory()) await rmdir(p).catch(() => undefined); // ENOTEMPTY: the command wrote there
    else if (st?.isFile() && st.size === 0) await unlink(p);
  }
}

export async function runStep(input: RunStepInput): Promise<void> {
  const log = join(input.bundle, 'output.log');
  const rootfs = join(input.bundle, 'rootfs');
  const spec = buildSpec(input);
  const stubs = await missingMountPoints(rootfs, spec);
  let exit: Awaited<ReturnType<BuildRunner['run']>>;
  try {
    exit = await input.runner.run({ id: input.id, bundle: input.bundle, spec, detach: false, stdio: { stdout: log, stderr: log } });
  } catch (err) {
    throw new BuildError('run_failed', `failed to run ${input.what}: ${causeText(err)}`, { cause: err, containerId: input.id });
  } finally {
    await removeStubs(rootfs, stubs);
  }
  const lines = parseCriLog(await readFile(log, 'utf8').catch(() => ''));
  for (const l of lines) input.onOutput?.(l.line, l.stream);
  const code = exit?.exitCode ?? -1;
  if (code !== 0) {
    const tail = lines.slice(-10).map((l) => `  ${l.line}`).join('\n');
    const why = exit?.oomKilled ? ' (out of memory)' : exit?.signal ? ` (signal ${exit.signal})` : '';
    throw new BuildError('run_failed', `failed to run ${input.what}: exit code ${code}${why}${tail ? `\n${tail}` : ''}`, { containerId: input.id });
  }
}
