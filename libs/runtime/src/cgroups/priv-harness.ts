import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createCgroupManager, type CgroupManagerOptions } from './factory.js';
import type { CgroupHarness } from './suite.js';

// Test support for *.priv.spec.ts: real hierarchies, a unique parent beneath this process's own
// cgroup in every hierarchy, removed (with anything left in it) by cleanup().

export interface RealHarness extends CgroupHarness {
  parent: string;
  spawnChild(cmd: string, args: string[], opts?: SpawnOptions): Promise<ChildProcess>;
}

export function realHarness(base: Omit<CgroupManagerOptions, 'path'>, supports: CgroupHarness['supports']): RealHarness {
  const parent = `berth-test-${randomBytes(6).toString('hex')}`;
  const children: ChildProcess[] = [];
  const spawnChild = async (cmd: string, args: string[], opts: SpawnOptions = { stdio: 'ignore' }): Promise<ChildProcess> => {
    const c = spawn(cmd, args, opts);
    children.push(c);
    await new Promise<void>((resolve, reject) => c.once('spawn', resolve).once('error', reject));
    return c;
  };
  return {
    parent,
    supports,
    spawnChild,
    manager: (id) => createCgroupManager({ ...base, path: `${parent}/${id}` }),
    startProcess: async () => (await spawnChild('sleep', ['60'])).pid!,
    cleanup: async () => {
      const all = createCgroupManager({ ...base, path: parent });
      try {
        await all.kill('SIGKILL');
      } catch {
        /* parent may not exist (test failed before create) */
      }
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await all.destroy();
    },
  };
}
