import assert from 'node:assert/strict';
import { open, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import { launchInit } from './launch.js';
import { readExitRecord } from './exit-record.js';
import { signalProcess } from './signal.js';
import { baseProcess, buildShim, killQuietly, options, readCriLog, runToExit, skipUnlessRoot, withRootfs } from './testing.js';

const skip = skipUnlessRoot;
if (!skip) buildShim();

test('init is pid 1 with the spec hostname, only lo in its net ns, and new ns of every kind', { skip }, () =>
  withRootfs(async (fx) => {
    const kinds = ['pid', 'net', 'mnt', 'ipc', 'uts', 'cgroup'];
    const script = `echo pid=$$; hostname; grep -c : /proc/net/dev; grep -o '^ *[a-z0-9]*:' /proc/net/dev; ${kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; ')}; cat /proc/self/cgroup`;
    const { rec, stdout, stderr } = await runToExit(options(fx, baseProcess(['sh', '-c', script])));
    assert.equal(stderr, '');
    assert.equal(rec.exitCode, 0);
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], 'pid=1');
    assert.equal(lines[1], 'box');
    assert.equal(lines[2], '1', 'one interface');
    assert.equal(lines[3]?.trim(), 'lo:');
    for (const [i, k] of kinds.entries()) {
      const inside = lines[4 + i];
      assert.match(inside ?? '', new RegExp(`^${k}:\\[\\d+\\]$`));
      assert.notEqual(inside, await readlink(`/proc/self/ns/${k}`), `${k} namespace is new`);
    }
    // cgroup ns: the init's own cgroup is the root of its view
    for (const line of lines.slice(4 + kinds.length)) assert.match(line, /:\/$/, line);
  }));

test('exit code, cwd, env, rlimits, user and groups reach the process', { skip }, () =>
  withRootfs(async (fx) => {
    const proc = baseProcess(['sh', '-c', 'pwd; echo $FOO; ulimit -n; ulimit -Hn; id; umask; exit 7'], {
      cwd: '/work', env: ['PATH=/bin', 'FOO=bar baz'],
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }],
      user: { uid: 1000, gid: 1001, additionalGids: [10, 20], umask: 0o027 },
    });
    const { rec, stdout, stderr } = await runToExit(options(fx, proc));
    assert.equal(stderr, '');
    assert.equal(rec.exitCode, 7);
    assert.equal(rec.signal, undefined);
    assert.equal(rec.oomKilled, false);
    const [cwd, foo, soft, hard, id, umask] = stdout.trim().split('\n');
    assert.deepEqual([cwd, foo, soft, hard], ['/work', 'bar baz', '123', '456']);
    assert.match(id ?? '', /^uid=1000 gid=1001 groups=10,20$/);
    assert.equal(umask, '0027');
    const nanos = BigInt(Date.now()) * 1_000_000n;
    assert.ok(rec.finishedAt <= nanos && rec.finishedAt > nanos - 60_000_000_000n, 'finished_at is recent unix nanos');
  }));

test('masked paths read empty and read-only paths refuse writes', { skip }, () =>
  withRootfs(async (fx) => {
    const o = options(fx, baseProcess(['sh', '-c', 'wc -c < /proc/timer_list; ls /proc/acpi | wc -l; echo x > /proc/sys/kernel/domainname && echo wrote; echo done']));
    o.rootfs.maskedPaths = ['/proc/timer_list', '/proc/acpi', '/proc/does-not-exist'];
    const { rec, stdout, stderr } = await runToExit(o);
    assert.equal(rec.exitCode, 0);
    assert.deepEqual(stdout.trim().split('\n'), ['0', '0', 'done']);
    assert.match(stderr, /Read-only file system/);
  }));

test('read-only root refuses writes outside tmpfs mounts', { skip }, () =>
  withRootfs(async (fx) => {
    const o = options(fx, baseProcess(['sh', '-c', 'touch /tmp/x || echo refused; touch /dev/x && echo devok']));
    o.rootfs.readonlyRoot = true;
    const { stdout } = await runToExit(o);
    assert.deepEqual(stdout.trim().split('\n'), ['refused', 'devok']);
  }));

test('exec fifo: the program does not run until the fifo is opened for reading', { skip }, () =>
  withRootfs(async (fx) => {
    const fifo = join(fx.dir, 'exec.fifo'); // the shim makes it
    const o = options(fx, baseProcess(['echo', 'started']), { execFifo: fifo });
    const h = await launchInit(o);
    try {
      await sleep(300);
      assert.equal(await readCriLog(join(fx.dir, 'ctr.log'), 'stdout'), '');
      assert.equal(await readExitRecord(o.exitFile), undefined);
      assert.match(await readlink(`/proc/${h.initPid}/exe`), /berth-shim/);
      // the shim reports the init's start time (read before the init ran)
      const startTime = async (pid: number) => {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // field 22
      };
      assert.equal(h.initStartTime, await startTime(h.initPid));
      assert.equal(h.shimStartTime, await startTime(h.shimPid));
      const fh = await open(fifo, 'r');
      const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, null);
      await fh.close();
      assert.equal(bytesRead, 1);
      const rec = await h.wait();
      assert.equal(rec.exitCode, 0);
      assert.equal(await readCriLog(join(fx.dir, 'ctr.log'), 'stdout'), 'started\n');
    } finally {
      killQuietly(h.initPid);
    }
  }));

test('SIGKILL through a pidfd is recorded as signal 9, exit code 137', { skip }, () =>
  withRootfs(async (fx) => {
    const h = await launchInit(options(fx, baseProcess(['sleep', '100'])));
    signalProcess(h.initPid, 'SIGKILL');
    const rec = await h.wait();
    assert.equal(rec.signal, 9);
    assert.equal(rec.exitCode, 137);
  }));

test('the supervisor forwards SIGTERM to the container process', { skip }, () =>
  withRootfs(async (fx) => {
    // without a pid ns the program is not an init, so SIGTERM's default action applies
    const o = options(fx, baseProcess(['sleep', '100']), { namespaces: [{ type: 'mount' }, { type: 'uts' }] });
    const h = await launchInit(o);
    try {
      process.kill(h.shimPid, 'SIGTERM');
      const rec = await h.wait();
      assert.equal(rec.signal, 15);
    } finally {
      killQuietly(h.initPid);
    }
  }));

test('a failing step is reported as BerthError with the shim text and leaves no process', { skip }, () =>
  withRootfs(async (fx) => {
    const o = options(fx, baseProcess(['no-such-program']));
    await assert.rejects(launchInit(o), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.category, 'not_found');
      assert.match(err.message, /^failed to create container t: exec no-such-program: executable file not found in \$PATH$/);
      return true;
    });
    const bad = options(fx, baseProcess(['true']));
    bad.rootfs.mounts.push({ source: '/nonexistent-src', target: '/mnt', fstype: '', flags: 0x1000, data: '', propagation: [], remountFlags: 0, createAs: 'dir' });
    await assert.rejects(launchInit(bad), /failed to create container t: mount \/nonexistent-src on \/mnt: No such file or directory/);
    // the process places itself in its cgroups first thing (v1 tasks files)
    const unplaceable = options(fx, baseProcess(['true']), { cgroupSelfFiles: ['/nonexistent-cgroup/tasks'] });
    await assert.rejects(launchInit(unplaceable), /failed to create container t: add process to cgroup \/nonexistent-cgroup\/tasks: No such file or directory/);
    await assert.rejects(stat(o.exitFile), /ENOENT/);
  }));

test('createRuntime hook runs with the pid before mounts; its failure aborts the start', { skip }, () =>
  withRootfs(async (fx) => {
    let seen = 0;
    let mountsAtHook = '';
    const o = options(fx, baseProcess(['true']), {
      hooks: { createRuntime: async (pid) => { seen = pid; mountsAtHook = await readFile(`/proc/${pid}/mountinfo`, 'utf8'); } },
    });
    const h = await launchInit(o);
    await h.wait();
    assert.equal(seen, h.initPid);
    assert.ok(!mountsAtHook.includes(fx.rootfs), 'no container mount yet');
    let pid = 0;
    const failing = options(fx, baseProcess(['true']), {
      hooks: { createRuntime: async (p) => { pid = p; throw new Error('hook says no'); } },
    });
    await assert.rejects(launchInit(failing), /failed to create container t: hook says no/);
    await sleep(50);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  }));

test('createContainer and startContainer hooks get the state JSON on stdin', { skip }, () =>
  withRootfs(async (fx) => {
    const out = join(fx.dir, 'hook.out');
    const o = options(fx, baseProcess(['true']), {
      createContainerHooks: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}`] }],
      startContainerHooks: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/start.json'] }],
      stateJson: (pid) => JSON.stringify({ ociVersion: '1.2.0', id: 't', pid }),
    });
    const h = await launchInit(o);
    await h.wait();
    assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), { ociVersion: '1.2.0', id: 't', pid: h.initPid });
    assert.equal(JSON.parse(await readFile(join(fx.rootfs, 'tmp/start.json'), 'utf8')).pid, h.initPid);
    const slow = options(fx, baseProcess(['true']), { createContainerHooks: [{ path: '/bin/sleep', args: ['sleep', '5'], timeout: 1 }] });
    await assert.rejects(launchInit(slow), /createContainer hook \/bin\/sleep: timed out after 1s/);
  }));

test('sysctls are written in the container and oom_score_adj is applied', { skip }, () =>
  withRootfs(async (fx) => {
    const o = options(fx, baseProcess(['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj']));
    o.spec.linux = { sysctl: { 'net.ipv4.ip_forward': '1' } };
    if (o.spec.process) o.spec.process.oomScoreAdj = 421;
    const { stdout, stderr } = await runToExit(o);
    assert.equal(stderr, '');
    assert.deepEqual(stdout.trim().split('\n'), ['1', '421']);
    assert.equal((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() === '1' ? 'host-on' : 'host-off', 'host-off');
  }));

test('the shim starts the same through posix_spawn and child_process: stdio to logs, control channel, exit code, shim reaped', { skip }, () =>
  withRootfs(async (fx) => {
    for (const spawner of ['posix_spawn', 'child_process'] as const) {
      const log = join(fx.dir, `${spawner}.log`);
      const o = { ...options(fx, baseProcess(['sh', '-c', 'echo out-$0; echo err >&2; exit 3', spawner])), spawner, stdio: { stdout: log, stderr: log } };
      const h = await launchInit(o);
      const rec = await h.wait();
      assert.equal(rec.exitCode, 3, spawner);
      assert.equal(await readCriLog(log, 'stdout'), `out-${spawner}\n`);
      assert.equal(await readCriLog(log, 'stderr'), 'err\n');
      // wait() resolved after the shim exited and was reaped: no zombie, no process at all
      await assert.rejects(stat(`/proc/${h.shimPid}`), { code: 'ENOENT' }, spawner);
    }
  }));

/** This process's children that run the shim and wait for a message (spare shims). */
async function spareShims(): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat.includes('(berth-shim)') && Number(fields[1]) === process.pid) out.push(Number(name));
  }
  return out;
}

test('posix_spawn starts: the next init takes the shim spawned ahead after the previous start; a dead spare is replaced', { skip }, () =>
  withRootfs(async (fx) => {
    const run = async (tag: string, detach = false, then = '') => {
      const log = join(fx.dir, `${tag}.log`);
      return launchInit({ ...options(fx, baseProcess(['sh', '-c', `echo ${tag}${then}`])), spawner: 'posix_spawn', detach, stdio: { stdout: log, stderr: log } });
    };
    const first = await run('first');
    await first.wait();
    await sleep(50); // the spare is spawned once a start is done
    const [spare, ...more] = await spareShims();
    assert.ok(spare, 'a spare shim waits');
    assert.deepEqual(more, [], 'one spare per kind');
    const second = await run('second', true, '; exec sleep 30');
    assert.equal(second.shimPid, spare, 'the second start took it');
    // detached: the shim made its own session on the message's request (T_SETSID)
    const sid = (await readFile(`/proc/${second.shimPid}/stat`, 'latin1')).split(') ')[1]?.split(' ')[3];
    assert.equal(Number(sid), second.shimPid);
    process.kill(second.initPid, 'SIGKILL');
    assert.equal((await second.wait()).exitCode, 137);
    assert.equal(await readCriLog(join(fx.dir, 'second.log'), 'stdout'), 'second\n');
    await sleep(50);
    const [next] = await spareShims();
    assert.ok(next && next !== spare);
    process.kill(next, 'SIGKILL');
    await sleep(50);
    const third = await run('third');
    assert.notEqual(third.shimPid, next);
    assert.equal((await third.wait()).exitCode, 0);
    assert.equal(await readCriLog(join(fx.dir, 'third.log'), 'stdout'), 'third\n');
  }));
