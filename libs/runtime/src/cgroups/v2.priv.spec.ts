import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { cgroupSuite } from './suite.js';
import { realHarness } from './priv-harness.js';

// This host's v2 hierarchy at /sys/fs/cgroup/unified has the core files but no resource
// controllers, so placement, freeze and kill run against the real kernel here.
const ROOT = '/sys/fs/cgroup/unified';
const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(`${ROOT}/cgroup.procs`) ? `no cgroup2 at ${ROOT}` : false;
const make = () => realHarness({ version: 2, root: ROOT }, { pids: false, memory: false, freeze: true });

cgroupSuite('v2 real', async () => make(), { skip });

test('v2 real: cgroup.kill ends every member, freeze holds a process in the frozen state', { skip }, async () => {
  const h = make();
  try {
    const m = h.manager('k');
    await m.create();
    assert.equal(m.version, 2);
    const a = await h.spawnChild('sleep', ['60']);
    const b = await h.spawnChild('sleep', ['60']);
    await m.addProcess(a.pid!);
    await m.addProcess(b.pid!);
    assert.deepEqual(await m.pids(), [a.pid!, b.pid!].sort((x, y) => x - y));
    await m.freeze();
    assert.equal(await m.freezerState(), 'frozen');
    await m.thaw();
    const exits = [a, b].map((c) => new Promise((r) => c.once('exit', (_c, s) => r(s))));
    await m.kill('SIGKILL');
    assert.deepEqual(await Promise.all(exits), ['SIGKILL', 'SIGKILL']);
    const c = await h.spawnChild('sleep', ['60']);
    await m.addProcess(c.pid!);
    const term = new Promise((r) => c.once('exit', (_c, s) => r(s)));
    await m.kill('SIGTERM');
    assert.equal(await term, 'SIGTERM');
    await m.destroy();
    assert.ok(!existsSync(dirname(m.procsFiles()[0]!)));
  } finally {
    await h.cleanup();
  }
  assert.ok(!existsSync(`${ROOT}/${h.parent}`), 'unique parent removed');
});

test('v2 real: the eBPF device program denies /dev/zero and allows /dev/null, and can be replaced', { skip }, async () => {
  const h = make();
  try {
    const m = h.manager('dev');
    await m.create();
    const probe = async (): Promise<string> => {
      const c = await h.spawnChild('sh', ['-c', 'read x; if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi; echo null-ok >/dev/null && echo null-ok'], { stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await m.addProcess(c.pid!);
      const done = new Promise((r) => c.once('close', r));
      c.stdin!.end('go\n');
      await done;
      return out.trim();
    };
    await m.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    assert.equal(await probe(), 'zero-denied\nnull-ok');
    await m.set({ devices: [{ allow: true, access: 'rwm' }] });
    assert.equal(await probe(), 'zero-ok\nnull-ok');
    await m.destroy();
  } finally {
    await h.cleanup();
  }
});
