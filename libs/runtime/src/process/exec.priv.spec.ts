import assert from 'node:assert/strict';
import { readdir, readFile, readlink, rmdir, mkdir, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NamespaceType } from '../spec/types.js';
import { execInContainer } from './exec.js';
import { launchInit } from './launch.js';
import { signalProcess } from './signal.js';
import { ALL_NS, baseProcess, buildShim, killQuietly, options, readCriLog, runToExit, SHIM_PATH, skipUnlessRoot, withRootfs } from './testing.js';
import type { InitHandle } from './types.js';

const skip = skipUnlessRoot;
if (!skip) buildShim();

const NS_TYPES = ALL_NS.map((n) => n.type) as NamespaceType[];

async function stop(h: InitHandle): Promise<void> {
  killQuietly(h.initPid);
  await h.wait();
}

test('exec joins the running container: same pid ns, hostname, mounts; not pid 1', { skip }, () =>
  withRootfs(async (fx) => {
    const h = await launchInit(options(fx, baseProcess(['sleep', '100']), { detach: true }));
    try {
      const log = join(fx.dir, 'exec.log');
      const e = await execInContainer({
        shimPath: SHIM_PATH, containerId: 't', initPid: h.initPid, namespaces: NS_TYPES,
        process: baseProcess(['sh', '-c', 'hostname; echo $$; cat /proc/1/cmdline; echo; readlink /proc/self/ns/pid; ls /bin/busybox; pwd; id'], {
          cwd: '/tmp', user: { uid: 1000, gid: 1000 },
        }),
        cgroupProcsFiles: [], stdio: { stdout: log, stderr: log }, exitFile: join(fx.dir, 'exec.exit'), detach: false,
      });
      const rec = await e.wait();
      assert.equal(rec.exitCode, 0);
      const lines = (await readCriLog(log, 'stdout')).trim().split('\n');
      assert.equal(lines[0], 'box');
      assert.notEqual(lines[1], '1');
      assert.equal(lines[2], 'sleep\u0000100\u0000');
      assert.equal(lines[3], await readlink(`/proc/${h.initPid}/ns/pid`));
      assert.deepEqual(lines.slice(4), ['/bin/busybox', '/tmp', 'uid=1000 gid=1000']);
    } finally {
      await stop(h);
    }
  }));

test('exec into a user-namespaced container and a failing exec', { skip }, () =>
  withRootfs(async (fx) => {
    const map = [{ containerID: 0, hostID: 200000, size: 65536 }];
    const h = await launchInit(options(fx, baseProcess(['sleep', '100']), {
      namespaces: [...ALL_NS, { type: 'user' }], uidMappings: map, gidMappings: map, detach: true,
    }));
    try {
      const log = join(fx.dir, 'exec.log');
      const base = {
        shimPath: SHIM_PATH, containerId: 't', initPid: h.initPid, namespaces: [...NS_TYPES, 'user' as const],
        cgroupProcsFiles: [], stdio: { stdout: log, stderr: log }, exitFile: join(fx.dir, 'exec.exit'), detach: false,
      };
      const e = await execInContainer({ ...base, process: baseProcess(['sh', '-c', 'id; cat /proc/self/uid_map']) });
      assert.equal((await e.wait()).exitCode, 0);
      const out = (await readCriLog(log, 'stdout')).trim().split('\n');
      assert.equal(out[0], 'uid=0(root) gid=0(root)');
      assert.deepEqual(out[1]?.trim().split(/\s+/), ['0', '200000', '65536']);
      await assert.rejects(execInContainer({ ...base, process: baseProcess(['/bin/nope']) }),
        /failed to exec in container t: exec \/bin\/nope: No such file or directory/);
    } finally {
      await stop(h);
    }
  }));

test('a detached supervisor runs in its own session and stays under 1 MB RSS', { skip }, () =>
  withRootfs(async (fx) => {
    const h = await launchInit(options(fx, baseProcess(['sleep', '100']), { detach: true }));
    try {
      const stat = (await readFile(`/proc/${h.shimPid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
      assert.equal(Number(stat[3]), h.shimPid, 'session leader');
      const status = await readFile(`/proc/${h.shimPid}/status`, 'utf8');
      const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
      console.error(`# supervisor VmRSS: ${rssKb} kB`);
      assert.ok(rssKb > 0 && rssKb < 1024, `VmRSS ${rssKb} kB`);
      assert.match(await readlink(`/proc/${h.shimPid}/exe`), /berth-shim$/);
    } finally {
      signalProcess(h.initPid, 'SIGKILL');
      const rec = await h.wait();
      assert.equal(rec.signal, 9);
    }
  }));

test('CRI log lines are rotated at maxSize', { skip }, () =>
  withRootfs(async (fx) => {
    const log = join(fx.dir, 'rot.log');
    const proc = baseProcess(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line-$i; done; echo -n tail']);
    const { rec } = await runToExit(options(fx, proc, { stdio: { stdout: log, stderr: log, maxSize: 200 } }));
    assert.equal(rec.exitCode, 0);
    assert.ok((await stat(log)).size <= 200);
    assert.ok((await stat(`${log}.1`)).size <= 200);
    const current = await readCriLog(log, 'stdout');
    assert.match(current, /tail$/, 'the unterminated last line is kept as a partial line');
    assert.match(await readCriLog(`${log}.1`, 'stdout'), /^(line-\d+\n)+$/);
  }));

async function ownMemoryCgroup(): Promise<string> {
  const line = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (!line) throw new Error('no memory cgroup v1 hierarchy');
  return join('/sys/fs/cgroup/memory', line.slice(line.lastIndexOf(':') + 1));
}

test('placement in the cgroup before start, and an OOM kill is recorded', { skip }, async () => {
  const cg = join(await ownMemoryCgroup(), `berth-proc-test-${process.pid}`);
  await mkdir(cg);
  try {
    await withRootfs(async (fx) => {
      await writeFile(join(cg, 'memory.limit_in_bytes'), String(32 << 20));
      await writeFile(join(cg, 'memory.memsw.limit_in_bytes'), String(32 << 20)).catch(() => {});
      const procs = join(cg, 'cgroup.procs');
      const o = options(fx, baseProcess(['sh', '-c', 'cat /proc/self/cgroup | grep memory; x=0123456789abcdef; while :; do x=$x$x; done']), {
        cgroupProcsFiles: [procs], oomEventsFile: join(cg, 'memory.oom_control'),
      });
      o.namespaces = o.namespaces.filter((n) => n.type !== 'cgroup');
      const { rec, stdout } = await runToExit(o);
      assert.match(stdout, new RegExp(`memory:.*/berth-proc-test-${process.pid}\\n`));
      assert.equal(rec.signal, 9);
      assert.equal(rec.oomKilled, true);
      const normal = await runToExit(options(fx, baseProcess(['true']), { cgroupProcsFiles: [procs], oomEventsFile: join(cg, 'memory.oom_control') }));
      assert.equal(normal.rec.oomKilled, false);
    });
  } finally {
    for (let i = 0; i < 50; i++) {
      if ((await readFile(join(cg, 'cgroup.procs'), 'utf8')).trim() === '') break;
      await sleep(20);
    }
    await rmdir(cg);
  }
  assert.ok(!(await readdir(await ownMemoryCgroup())).includes(`berth-proc-test-${process.pid}`));
});

test('an init joins namespaces given by path (here the network and uts of another container)', { skip }, () =>
  withRootfs(async (fx) => {
    const a = await launchInit(options(fx, baseProcess(['sleep', '100']), { detach: true }));
    try {
      const log = join(fx.dir, 'b.log');
      const o = options(fx, baseProcess(['sh', '-c', 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts; hostname']), {
        namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'network', path: `/proc/${a.initPid}/ns/net` }, { type: 'uts', path: `/proc/${a.initPid}/ns/uts` }],
        stdio: { stdout: log, stderr: log }, exitFile: join(fx.dir, 'b.exit'),
      });
      delete o.spec.hostname;
      const { stdout, rec } = await runToExit(o);
      assert.equal(rec.exitCode, 0);
      const [net, uts, host] = stdout.trim().split('\n');
      assert.equal(net, await readlink(`/proc/${a.initPid}/ns/net`));
      assert.equal(uts, await readlink(`/proc/${a.initPid}/ns/uts`));
      assert.equal(host, 'box');
    } finally {
      await stop(a);
    }
  }));

test('a detached exec has its own supervisor that records its exit', { skip }, () =>
  withRootfs(async (fx) => {
    const h = await launchInit(options(fx, baseProcess(['sleep', '100']), { detach: true }));
    try {
      const exitFile = join(fx.dir, 'exec2.exit');
      const e = await execInContainer({
        shimPath: SHIM_PATH, containerId: 't', initPid: h.initPid, namespaces: NS_TYPES, process: baseProcess(['sleep', '50']),
        cgroupProcsFiles: [], stdio: { stdout: join(fx.dir, 'e.log'), stderr: join(fx.dir, 'e.log') }, exitFile, detach: true,
      });
      assert.notEqual(e.shimPid, h.shimPid);
      const sid = Number((await readFile(`/proc/${e.shimPid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[3]);
      assert.equal(sid, e.shimPid);
      assert.equal(await readlink(`/proc/${e.pid}/ns/pid`), await readlink(`/proc/${h.initPid}/ns/pid`));
      signalProcess(e.pid, 'SIGKILL');
      const rec = await e.wait();
      assert.equal(rec.signal, 9);
      assert.match(await readFile(exitFile, 'utf8'), /^exit_code=137\nsignal=9\noom_killed=0\nfinished_at=\d+\n$/);
      assert.doesNotThrow(() => process.kill(h.initPid, 0), 'the container keeps running');
    } finally {
      await stop(h);
    }
  }));
