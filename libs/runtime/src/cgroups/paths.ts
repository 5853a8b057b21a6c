import { posix } from 'node:path';
import { BerthError } from '../errors.js';

function invalid(msg: string): BerthError {
  return new BerthError('invalid_cgroups_path', 'invalid_argument', `failed to resolve cgroups path: ${msg}`);
}

/**
 * The cgroup path (relative to one hierarchy's root) for a container, with OCI semantics
 * (runtime-spec config-linux.md#cgroups-path):
 * - absolute `cgroupsPath`: taken as is, relative to the hierarchy root;
 * - relative `cgroupsPath`: relative to `ownCgroup`, the runtime's own cgroup in that hierarchy
 *   (from /proc/self/cgroup);
 * - undefined: `<ownCgroup>/berth/<containerId>`.
 * `..` components, empty ids and systemd `slice:prefix:name` paths are rejected.
 */
export function resolveCgroupsPath(cgroupsPath: string | undefined, containerId: string, ownCgroup: string): string {
  if (!ownCgroup.startsWith('/')) throw invalid(`own cgroup ${JSON.stringify(ownCgroup)} is not absolute`);
  let joined: string;
  if (cgroupsPath === undefined) {
    if (!containerId || containerId.includes('/') || containerId === '.' || containerId === '..') {
      throw invalid(`container id ${JSON.stringify(containerId)} cannot name a cgroup`);
    }
    joined = posix.join(ownCgroup, 'berth', containerId);
  } else {
    if (cgroupsPath === '') throw invalid('cgroupsPath is empty');
    if (/^[^/]*:[^/]*:[^/]*$/.test(cgroupsPath)) throw invalid(`${JSON.stringify(cgroupsPath)} is a systemd slice:prefix:name path; only the cgroupfs driver is supported`);
    if (cgroupsPath.split('/').includes('..')) throw invalid(`${JSON.stringify(cgroupsPath)} contains a ".." component`);
    joined = cgroupsPath.startsWith('/') ? posix.normalize(cgroupsPath) : posix.join(ownCgroup, cgroupsPath);
  }
  const out = joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
  if (out === '/') throw invalid(`${JSON.stringify(cgroupsPath)} names the hierarchy root`);
  return out;
}
