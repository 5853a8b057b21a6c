// Writes an OCI bundle with a busybox-static rootfs for the runtime benchmarks:
// node make-bundle.mjs DIR ARGS...  (the spec is what `runc spec` writes, non-terminal,
// with no cgroupsPath, so each runtime uses its default of one cgroup per container id).
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpec } from '@berth/runtime';

const [dir, ...args] = process.argv.slice(2);
if (!dir || args.length === 0) throw new Error('usage: make-bundle.mjs DIR ARGS...');
const rootfs = join(dir, 'rootfs');
for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
chmodSync(join(rootfs, 'bin/busybox'), 0o755);
for (const a of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
  if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
}
const spec = defaultSpec({ args });
spec.ociVersion = '1.0.2'; // Debian's crun rejects newer versions; every runtime here accepts 1.0.2
spec.process.terminal = false;
delete spec.linux.cgroupsPath; // each runtime's default: one cgroup per container id
writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
