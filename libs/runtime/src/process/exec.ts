import { readlink } from 'node:fs/promises';
import { BerthError, causeText } from '../errors.js';
import type { NamespaceType } from '../spec/types.js';
import { encodeExecMessage, NAMESPACE_FILES } from './message.js';
import { startShim, waitForExit } from './shim-client.js';
import type { ExecHandle, ExecOptions } from './types.js';

/**
 * Namespace files of `pid` to join: those that differ from the caller's own (joining one's own
 * user namespace is an error, and the others would be no-ops).
 */
export async function namespaceJoins(pid: number, types: NamespaceType[], containerId: string): Promise<{ type: NamespaceType; path: string }[]> {
  const out: { type: NamespaceType; path: string }[] = [];
  for (const type of types) {
    const file = NAMESPACE_FILES[type];
    const path = `/proc/${pid}/ns/${file}`;
    let theirs: string;
    let ours: string;
    try {
      [theirs, ours] = await Promise.all([readlink(path), readlink(`/proc/self/ns/${file}`)]);
    } catch (err) {
      throw new BerthError('namespace_unavailable', 'failed_precondition', `failed to find namespace ${path}: ${causeText(err)}`, {
        cause: err, path, pid, containerId,
      });
    }
    if (theirs !== ours) out.push({ type, path });
  }
  return out;
}

/**
 * Runs `opts.process` inside the running container of `opts.initPid`: the shim joins its
 * namespaces (user first, mount last; the pid namespace applies to the forked process), its
 * cgroups, and applies the process's user, capabilities, seccomp, env and cwd. Resolves once
 * the process is about to execve; `wait()` gives its exit record. With `detach` the shim
 * supervises it in its own session and outlives the caller.
 */
export async function execInContainer(opts: ExecOptions): Promise<ExecHandle> {
  const joins = await namespaceJoins(opts.initPid, opts.namespaces, opts.containerId);
  const message = encodeExecMessage(opts, joins);
  const started = await startShim({
    shimPath: opts.shimPath,
    role: 'exec',
    message,
    stdio: opts.stdio ?? 'inherit',
    detach: opts.detach,
    containerId: opts.containerId,
    ...(opts.spawner ? { spawner: opts.spawner } : {}),
  });
  return {
    pid: started.pid,
    shimPid: started.proc.pid,
    wait: () => waitForExit(started, opts.exitFile, opts.containerId),
  };
}
