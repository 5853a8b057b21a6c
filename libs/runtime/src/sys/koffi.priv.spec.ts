import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSyscalls } from './koffi.js';
import { syscallsSuite } from './suite.js';

const notRoot = process.getuid?.() !== 0 ? 'needs root' : false;

if (!notRoot) {
  syscallsSuite(
    'koffi',
    async () => {
      const children: ChildProcess[] = [];
      return {
        sys: createSyscalls(),
        expectedPid: process.pid,
        xattrName: 'user.berth.test',
        startProcess: async () => {
          const c = spawn('sleep', ['30'], { stdio: 'ignore' });
          children.push(c);
          await new Promise<void>((resolve, reject) => c.once('spawn', resolve).once('error', reject));
          return c.pid!;
        },
        cleanup: async () => {
          for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        },
      };
    },
    { skipMount: false },
  );
} else {
  test('koffi syscalls suite', { skip: notRoot }, () => {});
}

test('koffi: prctl child-subreaper set/get in a child process', { skip: notRoot }, () => {
  // Runs in a separate node process so the test runner itself is never made a subreaper.
  const mod = new URL('./koffi.js', import.meta.url).href;
  const script = `import { createSyscalls } from ${JSON.stringify(mod)};
const s = createSyscalls(); const before = s.getChildSubreaper(); s.setChildSubreaper(true);
console.log(JSON.stringify([before, s.getChildSubreaper()]));`;
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), [false, true]);
});

test('koffi: capget of self as root has CAP_SYS_ADMIN (21) effective', { skip: notRoot }, () => {
  const caps = createSyscalls().capget(0);
  assert.equal((caps.effective >> 21n) & 1n, 1n);
  assert.equal(caps.permitted & caps.effective, caps.effective);
});
