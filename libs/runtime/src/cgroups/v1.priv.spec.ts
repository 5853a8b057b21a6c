import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cgroupSuite } from './suite.js';
import { realHarness } from './priv-harness.js';
import { watchOomKills } from './oom.js';

// The v1 hierarchies of this host (hybrid: controllers on v1).
const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/sys/fs/cgroup/memory/cgroup.procs') ? 'no v1 memory hierarchy' : false;
const make = () => realHarness({ version: 1 }, { pids: true, memory: true, freeze: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

cgroupSuite('v1 real', async () => make(), { skip });

test('v1 real: limits, placement, stats, freeze stops progress, thaw resumes, kill, nothing left', { skip }, async () => {
  const h = make();
  const dir = mkdtempSync(join(tmpdir(), 'berth-cg-'));
  try {
    const m = h.manager('busy');
    await m.create();
    await m.set({ memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 16 }, cpu: { shares: 512, quota: 50000, period: 100000 } });
    const out = join(dir, 'counter');
    const child = await h.spawnChild('sh', ['-c', `while :; do echo x >> ${out}; done`]);
    await m.addProcess(child.pid!);
    assert.deepEqual((await m.pids()).includes(child.pid!), true);
    await sleep(100);
    const st = await m.stats();
    assert.equal(st.memory.limit, 64 * 1024 * 1024);
    assert.equal(st.pids.limit, 16);
    assert.ok(st.pids.current >= 1, `pids.current ${st.pids.current}`);
    assert.ok(st.cpu.usageNanos > 0, 'cpu usage accounted');
    assert.ok(st.memory.usage > 0 && st.memory.workingSet <= st.memory.usage);
    await m.freeze();
    assert.equal(await m.freezerState(), 'frozen');
    const frozenAt = statSync(out).size;
    await sleep(200);
    assert.equal(statSync(out).size, frozenAt, 'no progress while frozen');
    await m.thaw();
    await sleep(100);
    assert.ok(statSync(out).size > frozenAt, 'progress after thaw');
    const exited = new Promise((r) => child.once('exit', (_c, s) => r(s)));
    await m.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    await m.destroy();
    for (const f of m.procsFiles()) {
      assert.ok(!existsSync(dirname(f)), `${dirname(f)} removed`);
      assert.ok(!existsSync(dirname(dirname(f))), 'the unique parent this manager made is removed too');
      assert.ok(existsSync(dirname(dirname(dirname(f)))), 'our own cgroup is kept');
    }
  } finally {
    await h.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const f of h.manager('busy').procsFiles()) assert.ok(!existsSync(dirname(dirname(f))), `${dirname(dirname(f))} cleaned up`);
});

test('v1 real: a process over its memory limit is OOM-killed and counted', { skip }, async () => {
  const h = make();
  try {
    const m = h.manager('oom');
    await m.create();
    await m.set({ memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } });
    const kills: number[] = [];
    const w = watchOomKills(m, (n) => kills.push(n), { intervalMs: 20 });
    // The child waits on stdin until it is in the cgroup, then allocates without bound.
    const child = await h.spawnChild('sh', ['-c', 'read x; exec python3 -c "a=[]\nwhile True: a.append(bytearray(1 << 20))"'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await m.addProcess(child.pid!);
    const exited = new Promise((r) => child.once('exit', (_c, s) => r(s)));
    child.stdin!.end('go\n');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(await m.oomKillCount(), 1);
    assert.equal((await m.stats()).memory.oomKills, 1);
    await sleep(60);
    w.close();
    assert.deepEqual(kills, [1]);
    await m.destroy();
  } finally {
    await h.cleanup();
  }
});

test('v1 real: devices.deny/allow rules keep /dev/zero closed and /dev/null open', { skip }, async () => {
  const h = make();
  try {
    const m = h.manager('dev');
    await m.create();
    await m.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
    const c = await h.spawnChild('sh', ['-c', 'read x; if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi; echo null-ok >/dev/null && echo null-ok'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await m.addProcess(c.pid!);
    const done = new Promise((r) => c.once('close', r));
    c.stdin!.end('go\n');
    await done;
    assert.equal(out.trim(), 'zero-denied\nnull-ok');
    await m.destroy();
  } finally {
    await h.cleanup();
  }
});
