import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chmod, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CgroupManager, CgroupStats } from '../cgroups/types.js';
import { noopLogger } from '../logger.js';
import type { RuntimeContext } from './context.js';
import { StateStore, type ContainerRecord } from './state-store.js';
import { liveStatus, requireStatus } from './status.js';
import { readProcStat } from './proc.js';
import { runHook } from './hooks.js';
import { pauseContainer, resumeContainer } from './pause.js';
import { killContainer } from './kill.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';

/** A CgroupManager that only remembers what it was asked (the lifecycle's view of cgroups). */
function fakeCgroup(): CgroupManager & { frozen: boolean; destroyed: boolean; killed: (string | number)[] } {
  const zero: CgroupStats = {
    cpu: { usageNanos: 0, userNanos: 0, systemNanos: 0, throttledPeriods: 0, throttledNanos: 0 },
    memory: { usage: 0, limit: 0, workingSet: 0, cache: 0, rss: 0, swap: 0, failcnt: 0, oomKills: 0 },
    pids: { current: 0, limit: 0 },
    io: { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 },
  };
  const cg = {
    version: 1 as const,
    path: '/fake',
    frozen: false,
    destroyed: false,
    killed: [] as (string | number)[],
    async create() {},
    procsFiles: () => [],
    async addProcess() {},
    async set() {},
    async freeze() {
      cg.frozen = true;
    },
    async thaw() {
      cg.frozen = false;
    },
    async freezerState() {
      return cg.frozen ? ('frozen' as const) : ('thawed' as const);
    },
    async pids() {
      return [];
    },
    async kill(sig: string | number) {
      cg.killed.push(sig);
    },
    async stats() {
      return zero;
    },
    oomEventsFile: () => undefined,
    async oomKillCount() {
      return 0;
    },
    async destroy() {
      cg.destroyed = true;
    },
  };
  return cg;
}

async function fixture() {
  const root = await mkdtemp(join(tmpdir(), 'berth-lc-'));
  const cg = fakeCgroup();
  const ctx: RuntimeContext = {
    store: new StateStore(join(root, 'state')),
    shimPath: '/nonexistent',
    logger: noopLogger,
    openCgroup: () => cg,
  };
  const init = spawn('sleep', ['60'], { stdio: 'ignore' });
  const st = await readProcStat(init.pid!);
  const dir = await ctx.store.reserve('c1');
  const rec: ContainerRecord = {
    id: 'c1',
    bundle: root,
    rootfs: join(root, 'rootfs'),
    phase: 'created',
    initPid: init.pid!,
    initStartTime: st!.startTime,
    shimPid: 0,
    createdAt: new Date().toISOString(),
    cgroupsPath: null,
    execFifo: join(dir, 'exec.fifo'),
    annotations: {},
    spec: { ociVersion: '1.2.0' },
    owner: 'root',
  };
  await ctx.store.write(rec);
  const cleanup = async () => {
    init.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  };
  return { root, ctx, cg, init, rec, cleanup };
}

test('status follows the init process, the exec FIFO and the freezer', async () => {
  const f = await fixture();
  try {
    assert.equal(await liveStatus(f.ctx, f.rec), 'running', 'no FIFO: started');
    await writeFile(f.rec.execFifo, '');
    assert.equal(await liveStatus(f.ctx, f.rec), 'created');
    await rm(f.rec.execFifo);
    f.cg.frozen = true;
    assert.equal(await liveStatus(f.ctx, f.rec), 'paused');
    assert.equal(await liveStatus(f.ctx, { ...f.rec, phase: 'creating' }), 'creating');
    f.init.kill('SIGKILL');
    await new Promise((r) => f.init.once('exit', r));
    assert.equal(await liveStatus(f.ctx, f.rec), 'stopped');
  } finally {
    await f.cleanup();
  }
});

test('state guards name the state and what was wanted', async () => {
  const f = await fixture();
  try {
    assert.throws(() => requireStatus(f.rec, 'running', ['created'], 'start'), (e: unknown) => {
      const err = e as { code: string; message: string };
      return err.code === 'invalid_state' && err.message === 'failed to start container c1: container is running, must be created';
    });
    assert.throws(() => requireStatus(f.rec, 'stopped', ['running'], 'kill'), { code: 'container_not_running' });
    await assert.rejects(startContainer(f.ctx, 'c1'), { code: 'invalid_state' });
    await assert.rejects(resumeContainer(f.ctx, 'c1'), { code: 'invalid_state' });
    await pauseContainer(f.ctx, 'c1');
    assert.equal(f.cg.frozen, true);
    await assert.rejects(pauseContainer(f.ctx, 'c1'), /container is paused, must be running/);
    await resumeContainer(f.ctx, 'c1');
    assert.equal(f.cg.frozen, false);
    await assert.rejects(deleteContainer(f.ctx, 'c1'), /container is running, must be stopped/);
    await killContainer(f.ctx, 'c1', 'KILL', { all: true });
    assert.deepEqual(f.cg.killed, [9]);
    await assert.rejects(f.ctx.store.reserve('c1'), { code: 'container_exists' });
    await assert.rejects(f.ctx.store.read('nope'), { code: 'container_not_found' });
  } finally {
    await f.cleanup();
  }
});

test('start returns once the init writes its byte, and fails if the init dies first', async () => {
  const f = await fixture();
  try {
    execFileSync('mkfifo', ['-m', '0600', f.rec.execFifo]);
    // the "init" opens the FIFO a little later, as the real one does once it is set up
    const writer = spawn('sh', ['-c', `sleep 0.1; printf 0 > ${f.rec.execFifo}`], { stdio: 'ignore' });
    const writerExit = new Promise((r) => writer.once('exit', r));
    await startContainer(f.ctx, 'c1');
    await writerExit;
    assert.equal(existsSync(f.rec.execFifo), false, 'the FIFO is removed');

    execFileSync('mkfifo', ['-m', '0600', f.rec.execFifo]);
    const started = startContainer(f.ctx, 'c1');
    setTimeout(() => f.init.kill('SIGKILL'), 50);
    await assert.rejects(started, { code: 'invalid_state', message: /init process \d+ exited before start/ });
  } finally {
    await f.cleanup();
  }
});

test('delete --force kills the init, destroys the cgroup, removes the state', async () => {
  const f = await fixture();
  try {
    await deleteContainer(f.ctx, 'c1', { force: true });
    assert.equal(f.cg.destroyed, true);
    assert.ok(f.cg.killed.includes('SIGKILL'));
    await assert.rejects(f.ctx.store.read('c1'), { code: 'container_not_found' });
    assert.deepEqual(await f.ctx.store.list(), []);
  } finally {
    await f.cleanup();
  }
});

test('hooks get the state on stdin, their args, env only, and a timeout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-hook-'));
  try {
    const script = join(dir, 'hook.sh');
    await writeFile(script, `#!/bin/sh\ncat > "${dir}/stdin"\necho "$1 $FOO $HOME" > "${dir}/args"\n[ "$1" = fail ] && { echo nope >&2; exit 3; }\n[ "$1" = slow ] && sleep 5\nexit 0\n`);
    await chmod(script, 0o755);
    const state = { ociVersion: '1.2.0', id: 'c1', status: 'creating' as const, pid: 42, bundle: '/b' };
    await runHook({ path: script, args: ['myhook', 'ok'], env: ['FOO=bar'] }, state, 'createRuntime');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'stdin'), 'utf8')), state);
    assert.equal((await readFile(join(dir, "args"), "utf8")).trim(), "ok bar", "args after argv[0], env only (no HOME)");
    await assert.rejects(runHook({ path: script, args: ['h', 'fail'] }, state, 'poststart'), {
      code: 'hook_failed',
      message: `failed to run poststart hook ${script}: exit status 3: nope`,
    });
    await assert.rejects(runHook({ path: script, args: ['h', 'slow'], timeout: 1 }, state, 'prestart'), /timed out after 1s/);
    await assert.rejects(runHook({ path: join(dir, 'missing') }, state, 'prestart'), /ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
