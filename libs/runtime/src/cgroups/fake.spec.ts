import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createCgroupManager } from './factory.js';
import { makeFakeV1Tree, makeFakeV2Tree, type FakeTree } from './fake-tree.js';
import { cgroupSuite, type CgroupHarness } from './suite.js';

function harness(tree: FakeTree, version: 1 | 2): CgroupHarness {
  const parent = `berth-test-${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  return {
    manager: (id) => createCgroupManager({ path: `${parent}/${id}`, version, root: tree.root, mountinfo: tree.mountinfo, selfCgroup: tree.selfCgroup, fs: tree.fs }),
    startProcess: async () => {
      const c = spawn('sleep', ['30'], { stdio: 'ignore' });
      children.push(c);
      await new Promise<void>((resolve, reject) => c.once('spawn', resolve).once('error', reject));
      return c.pid!;
    },
    // The fake tree only stores writes, so a kill() reaches real processes (our own sleeps).
    supports: { pids: true, memory: true, freeze: version === 1 },
    cleanup: async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      tree.cleanup();
    },
  };
}

cgroupSuite('v1 fake tree', async () => harness(makeFakeV1Tree(), 1));
cgroupSuite('v2 fake tree', async () => harness(makeFakeV2Tree(), 2));
