/**
 * berth-runtime end to end, driven the way containerd drives runc: real containers from a
 * busybox-static rootfs, real namespaces and cgroups. Runs as root; skips otherwise.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, writeFile, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec, type Spec } from '@berth/runtime';
import { containerTestSkip, makeBundle, type Bundle } from '../fixtures/busybox.js';
import { testCgroupParent, type TestCgroupParent } from '../fixtures/cgroups.js';
import { runBin } from '../fixtures/cli.js';

const skip = containerTestSkip();
let bundle: Bundle;
let root: string;
let cg: TestCgroupParent;
let seq = 0;

function rt(...args: string[]) {
  return runBin('berth-runtime', ['--root', root, ...args]);
}

function spec(args: string[], edit?: (s: Spec) => void): Spec {
  const s = defaultSpec({ args });
  s.process!.terminal = false;
  s.root = { path: 'rootfs', readonly: false };
  s.hostname = 'berth-test';
  s.linux = { ...s.linux, cgroupsPath: `${cg.prefix}/c${seq}` };
  edit?.(s);
  return s;
}

/** /proc/<pid>/cgroup lines place the process in `<prefix>/<id>` in a few v1 hierarchies. */
function assertInContainerCgroups(lines: string[], id: string): void {
  const suffix = `/${cg.prefix}/${id}`;
  for (const ctrl of ['pids', 'memory', 'freezer']) {
    const line = lines.find((l) => l.split(':')[1] === ctrl);
    assert.ok(line?.endsWith(suffix), `${ctrl}: ${line} ends with ${suffix}`);
  }
}

function nextId(): string {
  seq += 1;
  return `c${seq}`;
}

before(async () => {
  if (skip) return;
  bundle = await makeBundle();
  root = await mkdtemp(join(tmpdir(), 'berth-root-'));
  cg = testCgroupParent();
});

after(async () => {
  if (skip) return;
  const left = await runBin('berth-runtime', ['--root', root, 'list', '-q']);
  for (const id of left.stdout.split('\n').filter(Boolean)) await rt('delete', '--force', id);
  cg.cleanup();
  await bundle.remove();
  await rm(root, { recursive: true, force: true });
});

test('spec writes a runc-like default config.json and refuses to overwrite it', { skip, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  try {
    const r1 = await runBin('berth-runtime', ['spec', '--bundle', dir]);
    assert.equal(r1.code, 0, r1.stderr);
    const s = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Spec;
    assert.equal(s.ociVersion, '1.2.0');
    assert.deepEqual(s.process?.args, ['sh']);
    assert.equal(s.process?.capabilities?.bounding?.length, 14);
    const r2 = await runBin('berth-runtime', ['spec', '--bundle', dir]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /exists/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('run in the foreground passes the exit code through and leaves nothing behind', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sh', '-c', 'echo hello from $(hostname) pid $$; exit 3']));
  const r = await rt('run', '--bundle', bundle.dir, id);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout.trim(), 'hello from berth-test pid 1');
  assert.equal((await rt('list', '-q')).stdout.trim(), '');
  for (const d of cg.dirs(id)) assert.equal(existsSync(d), false, `cgroup ${d} removed`);
});

test('create, start, state, kill and delete walk the OCI lifecycle', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sleep', '300']));
  const pidFile = join(root, 'pid');
  const c = await rt('create', '--bundle', bundle.dir, '--pid-file', pidFile, id);
  assert.equal(c.code, 0, c.stderr);
  let st = JSON.parse((await rt('state', id)).stdout) as { status: string; pid: number; bundle: string };
  assert.equal(st.status, 'created');
  assert.equal(st.pid, Number(await readFile(pidFile, 'utf8')));
  assert.equal(st.bundle, bundle.dir);
  // the init has not exec'd the user program yet, and it is in its cgroups (the shim places it
  // while it sets up, before it reports ready)
  assert.doesNotMatch(await readFile(`/proc/${st.pid}/cmdline`, 'utf8'), /sleep/);
  assertInContainerCgroups((await readFile(`/proc/${st.pid}/cgroup`, 'utf8')).trim().split('\n'), id);

  assert.equal((await rt('start', id)).code, 0);
  st = JSON.parse((await rt('state', id)).stdout);
  assert.equal(st.status, 'running');
  assert.match(await readFile(`/proc/${st.pid}/cmdline`, 'utf8'), /sleep/);

  const again = await rt('start', id);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /failed to start container c\d+: container is running, must be created/);

  const del = await rt('delete', id);
  assert.notEqual(del.code, 0);
  assert.match(del.stderr, /container is running, must be stopped/);

  assert.equal((await rt('kill', id, 'KILL')).code, 0);
  for (let i = 0; i < 100 && JSON.parse((await rt('state', id)).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
  st = JSON.parse((await rt('state', id)).stdout);
  assert.equal(st.status, 'stopped');

  const k2 = await rt('kill', id, 'TERM');
  assert.notEqual(k2.code, 0);
  assert.match(k2.stderr, /container is stopped/);

  assert.equal((await rt('delete', id)).code, 0);
  const gone = await rt('state', id);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /container does not exist/);
  for (const d of cg.dirs(id)) assert.equal(existsSync(d), false, `cgroup ${d} removed`);
});

/** berth-runtime where Node cannot be found: only the native front end can answer (exit 127 otherwise). */
function rtWithoutNode(...args: string[]) {
  return runBin('berth-runtime', ['--root', root, ...args], { env: { ...process.env, PATH: '/nonexistent' } });
}

test('start and delete run natively from the plan create wrote: no Node, same results', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sleep', '300']));
  assert.equal((await rt('create', '--bundle', bundle.dir, id)).code, 0);
  assert.equal(existsSync(join(root, id, 'plan')), true);
  const s = await rtWithoutNode('start', id);
  assert.equal(s.code, 0, s.stderr);
  const st = JSON.parse((await rt('state', id)).stdout) as { status: string; pid: number };
  assert.equal(st.status, 'running');
  assert.match(await readFile(`/proc/${st.pid}/cmdline`, 'utf8'), /sleep/);
  assert.equal(existsSync(join(root, id, 'exec.fifo')), false);

  // a second start and a delete without --force are errors: the front end hands them to Node
  const again = await rtWithoutNode('start', id);
  assert.equal(again.code, 127);
  assert.match(again.stderr, /cannot run node/);
  const noForce = await rtWithoutNode('delete', id);
  assert.equal(noForce.code, 127);
  assert.equal(JSON.parse((await rt('state', id)).stdout).status, 'running', 'nothing was touched before the hand-over');

  // --force on a running container with its own pid namespace: killed and removed natively
  const d = await rtWithoutNode('delete', '--force', id);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(existsSync(join(root, id)), false);
  assert.equal(existsSync(`/proc/${st.pid}`), false);
  for (const dir of cg.dirs(id)) assert.equal(existsSync(dir), false, `cgroup ${dir} removed`);
  assert.match((await rt('state', id)).stderr, /container does not exist/);
});

test('the native front end leaves to Node what the plan does not cover', { skip, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fast-'));
  try {
    // poststart/poststop hooks: create writes no plan, Node runs start and delete (and the hooks)
    const hook = join(dir, 'hook.sh');
    await writeFile(hook, `#!/bin/sh\necho "$1" >> ${dir}/log\n`);
    await chmod(hook, 0o755);
    const id = nextId();
    await bundle.writeSpec(spec(['true'], (s) => (s.hooks = { poststart: [{ path: hook, args: ['hook', 'poststart'] }], poststop: [{ path: hook, args: ['hook', 'poststop'] }] })));
    assert.equal((await rt('create', '--bundle', bundle.dir, id)).code, 0);
    assert.equal(existsSync(join(root, id, 'plan')), false);
    assert.equal((await rtWithoutNode('start', id)).code, 127);
    assert.equal((await rt('start', id)).code, 0);
    assert.equal((await rt('delete', '--force', id)).code, 0);
    assert.deepEqual((await readFile(join(dir, 'log'), 'utf8')).trim().split('\n'), ['poststart', 'poststop']);

    // no pid namespace of its own: killing the init would not end the container, so a running
    // one is Node's to delete (it kills every process of the cgroup)
    const id2 = nextId();
    await bundle.writeSpec(spec(['sleep', '300'], (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid'))));
    assert.equal((await rt('create', '--bundle', bundle.dir, id2)).code, 0);
    assert.equal((await rtWithoutNode('start', id2)).code, 0);
    assert.equal((await rtWithoutNode('delete', '--force', id2)).code, 127);
    assert.equal((await rt('delete', '--force', id2)).code, 0);
    for (const d of cg.dirs(id2)) assert.equal(existsSync(d), false, `cgroup ${d} removed`);

    // flags it does not know, and BERTH_RUNTIME_NO_FASTPATH, go to Node too
    const id3 = nextId();
    await bundle.writeSpec(spec(['true']));
    assert.equal((await rt('create', '--bundle', bundle.dir, id3)).code, 0);
    assert.equal((await rtWithoutNode('--debug', 'start', id3)).code, 127);
    const forced = await runBin('berth-runtime', ['--root', root, 'start', id3], { env: { ...process.env, PATH: '/nonexistent', BERTH_RUNTIME_NO_FASTPATH: '1' } });
    assert.equal(forced.code, 127);
    assert.equal((await rtWithoutNode('--log-format=json', 'start', id3)).code, 0);
    assert.equal((await rt('delete', '--force', id3)).code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a container joins another one\'s network namespace by path, and is in its own cgroups', { skip, timeout: 60_000 }, async () => {
  const a = nextId();
  await bundle.writeSpec(spec(['sleep', '300']));
  assert.equal((await rt('run', '--detach', '--bundle', bundle.dir, a)).code, 0);
  try {
    const pid = (JSON.parse((await rt('state', a)).stdout) as { pid: number }).pid;
    const b = nextId();
    await bundle.writeSpec(
      spec(['sh', '-c', 'readlink /proc/self/ns/net; cat /proc/self/cgroup'], (s) => {
        // No cgroup namespace, so that /proc/self/cgroup shows the host's paths.
        s.linux!.namespaces = s.linux!.namespaces!
          .filter((n) => n.type !== 'cgroup')
          .map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/net` } : n));
      }),
    );
    const r = await rt('run', '--bundle', bundle.dir, b);
    assert.equal(r.code, 0, r.stderr);
    const [netns, ...cgroupLines] = r.stdout.trim().split('\n');
    assert.equal(netns, await readlink(`/proc/${pid}/ns/net`));
    assertInContainerCgroups(cgroupLines, b);
  } finally {
    await rt('delete', '--force', a);
  }
});

test('the container gets only its stdio, not what berth-runtime inherited, with and without the native front end', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(spec(['sh', '-c', 'cd /proc/self/fd && echo *']));
  for (const env of [process.env, { ...process.env, BERTH_RUNTIME_NO_FASTPATH: '1' }]) {
    const r = await runBin('berth-runtime', ['--root', root, 'run', '--bundle', bundle.dir, nextId()], { env, extraFd: 40 });
    assert.equal(r.code, 0, r.stderr);
    // 3 is the directory `echo *` reads
    assert.equal(r.stdout.trim(), '0 1 2 3', `fds in the container (${env.BERTH_RUNTIME_NO_FASTPATH ? 'Node only' : 'front end'})`);
  }
});

/** Pids of processes whose environment holds `entry` (KEY=value). */
async function processesWithEnv(entry: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const env = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
    if (env.split('\0').includes(entry)) found.push(Number(name));
  }
  return found;
}

test('the shim the front end starts for create and run goes away when the command fails first', { skip, timeout: 60_000 }, async () => {
  const mark = `BERTH_TEST_MARK=${process.pid}-${Date.now()}`;
  const env = { ...process.env, [mark.split('=')[0]!]: mark.split('=')[1] };
  await bundle.writeSpec(spec(['true'], (s) => (s.root = { path: 'no-such-rootfs' })));
  for (const verb of ['create', 'run']) {
    const r = await runBin('berth-runtime', ['--root', root, verb, '--bundle', bundle.dir, nextId()], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no-such-rootfs: no such directory/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one message, none from the unused shim');
  }
  const deadline = Date.now() + 2000;
  let left = await processesWithEnv(mark);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = await processesWithEnv(mark);
  }
  assert.deepEqual(left, [], 'no process of those commands is left');
});

test('refused: --preserve-fds, which would pass descriptors on', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(spec(['true']));
  const r = await rt('run', '--preserve-fds', '2', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--preserve-fds 2 is not supported/);
  assert.equal((await rt('run', '--preserve-fds', '0', '--bundle', bundle.dir, nextId())).code, 0);
});

test('refused: a container without a mount namespace (its mounts and pivot_root would change the runtime\'s)', { skip, timeout: 60_000 }, async () => {
  // this namespace's root mount and whatever is mounted under the bundle (other test files may
  // mount elsewhere meanwhile)
  const ours = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => {
    const mp = l.split(' ')[4] ?? '';
    return mp === '/' || mp.startsWith(bundle.dir);
  });
  const mountsBefore = await ours();
  const id = nextId();
  await bundle.writeSpec(spec(['true'], (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'))));
  for (const verb of ['create', 'run']) {
    const r = await rt(verb, '--bundle', bundle.dir, id);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed to create container c\d+: failed to prepare namespaces: the container needs a mount namespace \(add \{"type": "mount"\} to linux.namespaces\)/);
  }
  assert.equal((await rt('list', '-q')).stdout.trim(), '', 'nothing left');
  for (const d of cg.dirs(id)) assert.equal(existsSync(d), false, 'no cgroup left');
  assert.deepEqual(await ours(), mountsBefore, 'our mounts are untouched');
});

test('bad input: missing rootfs, duplicate id, unknown id, invalid config', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['true'], (s) => (s.root = { path: 'no-such-rootfs' })));
  const r = await rt('create', '--bundle', bundle.dir, id);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /failed to create container c\d+: rootfs .*no-such-rootfs: no such directory/);
  assert.equal((await rt('list', '-q')).stdout.trim(), '', 'failed create leaves no state');
  for (const d of cg.dirs(id)) assert.equal(existsSync(d), false, 'failed create leaves no cgroup');

  await bundle.writeSpec(spec(['sleep', '100']));
  assert.equal((await rt('create', '--bundle', bundle.dir, id)).code, 0);
  const dup = await rt('create', '--bundle', bundle.dir, id);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /container already exists/);
  assert.equal((await rt('delete', '--force', id)).code, 0);

  const unknown = await rt('kill', 'no-such-container');
  assert.match(unknown.stderr, /failed to find container no-such-container: container does not exist/);

  await bundle.writeSpec(spec(['true'], (s) => (s.linux!.namespaces = [{ type: 'pid' }, { type: 'pid' }, { type: 'bogus' as 'pid' }])));
  const bad = await rt('create', '--bundle', bundle.dir, nextId());
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /linux\.namespaces\[1\]/);
  assert.match(bad.stderr, /linux\.namespaces\[2\]\.type/);

  // a program that does not exist fails inside the container set-up, which is reported as such
  // (the init fails while the shim is placing it in its cgroups) and leaves nothing behind
  const missing = nextId();
  await bundle.writeSpec(spec(['no-such-program']));
  const np = await rt('create', '--bundle', bundle.dir, missing);
  assert.notEqual(np.code, 0);
  assert.match(np.stderr, /^failed to create container c\d+: exec no-such-program: executable file not found in \$PATH\n$/);
  assert.equal((await rt('list', '-q')).stdout.trim(), '');
  for (const d of cg.dirs(missing)) assert.equal(existsSync(d), false, 'failed create leaves no cgroup');
});

test('namespaces: pid 1, own hostname, only loopback in a new network namespace, cgroup namespace rooted at its cgroups', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(spec(['sh', '-c', 'echo $$; hostname; ls /sys/class/net; readlink /proc/self/ns/net; cat /proc/self/cgroup']));
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 0, r.stderr);
  const [pid, host, net, nsLink, ...cgroups] = r.stdout.trim().split('\n');
  assert.equal(pid, '1');
  assert.equal(host, 'berth-test');
  assert.equal(net, 'lo');
  const { readlinkSync } = await import('node:fs');
  assert.notEqual(nsLink, readlinkSync('/proc/self/ns/net'));
  // The namespace is made once the init is in its cgroups (the placement overlaps the mounts):
  // each hierarchy shows the container's own cgroup as "/".
  assert.ok(cgroups.length > 0);
  for (const line of cgroups) assert.match(line, /:\/$/, line);
});

test('create + start in a user namespace: the process (root inside, 100000 outside) opens the exec FIFO', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  await bundle.writeSpec(
    spec(['sh', '-c', 'id -u; cat /proc/self/uid_map'], (s) => {
      s.linux!.namespaces = [...s.linux!.namespaces!, { type: 'user' }];
      s.linux!.uidMappings = map;
      s.linux!.gidMappings = map;
    }),
  );
  await chmod(bundle.dir, 0o755); // mkdtemp made it 0700: uid 100000 could not reach the rootfs
  const created = await rt('create', '--bundle', bundle.dir, id);
  assert.equal(created.code, 0, created.stderr);
  try {
    const st = JSON.parse((await rt('state', id)).stdout) as { pid: number };
    // the state JSON's pid runs as the mapped root
    assert.match(await readFile(`/proc/${st.pid}/status`, 'utf8'), /^Uid:\t100000\t/m);
    const r = await rt('start', id);
    assert.equal(r.code, 0, r.stderr);
    let status = '';
    for (let i = 0; i < 100 && status !== 'stopped'; i++) {
      status = (JSON.parse((await rt('state', id)).stdout) as { status: string }).status;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(status, 'stopped');
  } finally {
    await rt('delete', '--force', id);
  }
});

test('rootfsPropagation shared and unbindable: the container\'s / has it (pivot_root needs a private parent)', { skip, timeout: 60_000 }, async () => {
  for (const prop of ['shared', 'unbindable'] as const) {
    await bundle.writeSpec(
      spec(['sh', '-c', "grep -E '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ' /proc/self/mountinfo"], (s) => {
        s.linux!.rootfsPropagation = prop;
      }),
    );
    const r = await rt('run', '--bundle', bundle.dir, nextId());
    assert.equal(r.code, 0, `${prop}: ${r.stderr}`);
    assert.match(r.stdout, prop === 'shared' ? / shared:\d+ / : / unbindable /, `${prop}: ${r.stdout}`);
  }
});

test('time namespace offsets (linux.timeOffsets) are in effect for the container', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(
    spec(['cat', '/proc/self/timens_offsets'], (s) => {
      s.linux!.namespaces = [...s.linux!.namespaces!, { type: 'time' }];
      s.linux!.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: 3600, nanosecs: 5 } };
    }),
  );
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['monotonic', '86400', '0'], ['boottime', '3600', '5']]);
});

test('I/O priority, scheduler, CPU affinity and personality reach the process', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(
    spec(['sh', '-c', "ionice; grep -E '^policy' /proc/self/sched; grep Cpus_allowed_list /proc/self/status; cat /proc/self/personality"], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 7 };
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
      s.process!.execCPUAffinity = { final: '0' };
      s.linux!.personality = { domain: 'LINUX32' };
    }),
  );
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 0, r.stderr);
  const [io, policy, cpus, persona] = r.stdout.trim().split('\n');
  assert.equal(io, 'idle');
  assert.match(policy ?? '', /^policy\s+:\s+3$/, 'SCHED_BATCH');
  assert.match(cpus ?? '', /^Cpus_allowed_list:\s+0$/);
  assert.equal(persona, '00000008', 'PER_LINUX32');
});

test('a memory hog is OOM-killed at its limit', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(
    spec(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], (s) => {
      s.linux!.resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
    }),
  );
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 137, `expected SIGKILL by the OOM killer, got ${r.code}: ${r.stderr}`);
});

test('a foreground run passes signals to the container: SIGTERM to berth-runtime stops it, exit 143, nothing left', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  // PID 1 of a pid namespace ignores signals it has no handler for, so the init traps TERM.
  await bundle.writeSpec(spec(['sh', '-c', 'trap "exit 143" TERM; sleep 100 & wait']));
  let cli: import('node:child_process').ChildProcess | undefined;
  const running = runBin('berth-runtime', ['--root', root, 'run', '--bundle', bundle.dir, id], { onSpawn: (c) => (cli = c), timeoutMs: 30_000 });
  for (let i = 0; i < 100; i++) {
    const st = await rt('state', id);
    if (st.code === 0 && JSON.parse(st.stdout).status === 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(cli?.pid);
  cli.kill('SIGTERM');
  const r = await running;
  assert.equal(r.code, 143, `exit ${r.code}: ${r.stderr}`);
  assert.equal((await rt('state', id)).code, 1, 'the container was deleted after it exited');
});

test('a fork bomb stops at pids.max', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sleep', '120'], (s) => (s.linux!.resources = { pids: { limit: 10 } })));
  assert.equal((await rt('run', '-d', '--bundle', bundle.dir, id)).code, 0);
  // busybox sh gives up at the first fork the kernel refuses
  const bomb = await rt('exec', id, 'sh', '-c', 'for i in $(seq 1 40); do sleep 120 & done');
  assert.notEqual(bomb.code, 0);
  assert.match(bomb.stderr, /can't fork/);
  const pids = JSON.parse((await rt('ps', '--format', 'json', id)).stdout) as number[];
  const stats = JSON.parse((await rt('events', '--stats', id)).stdout) as { data: { pids: { current: number; limit: number } } };
  assert.ok(pids.length <= 10 && pids.length >= 5, `processes in the container: ${pids.length}`);
  assert.equal(stats.data.pids.limit, 10);
  assert.ok(stats.data.pids.current <= 10);
  assert.equal((await rt('delete', '--force', id)).code, 0);
});

test('a paused container makes no progress until resumed', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sh', '-c', 'while true; do echo x >> /tmp/counter; done']));
  assert.equal((await rt('run', '-d', '--bundle', bundle.dir, id)).code, 0);
  // run -d returns with the user process running: no exec FIFO is left to open
  assert.equal(JSON.parse((await rt('state', id)).stdout).status, 'running');
  const counter = join(bundle.rootfs, 'tmp/counter');
  // the file only grows while the loop runs
  const read = async () => (await stat(counter).catch(() => ({ size: 0 }))).size;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await rt('pause', id)).code, 0);
  assert.equal(JSON.parse((await rt('state', id)).stdout).status, 'paused');
  const a = await read();
  await new Promise((r) => setTimeout(r, 300));
  const b = await read();
  assert.equal(a, b, 'no progress while paused');
  assert.equal((await rt('resume', id)).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok((await read()) > b, 'progress after resume');
  assert.equal((await rt('delete', '--force', id)).code, 0);
});

test('dropped capabilities: mknod fails without CAP_MKNOD, works with it', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(spec(['mknod', '/tmp/null2', 'c', '1', '3']));
  assert.equal((await rt('run', '--bundle', bundle.dir, nextId())).code, 0);
  await rm(join(bundle.rootfs, 'tmp/null2'), { force: true });
  await bundle.writeSpec(
    spec(['mknod', '/tmp/null2', 'c', '1', '3'], (s) => {
      const caps = s.process!.capabilities!;
      for (const k of ['bounding', 'effective', 'permitted'] as const) caps[k] = caps[k]!.filter((c) => c !== 'CAP_MKNOD');
    }),
  );
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Operation not permitted/);
});

test('masked and read-only paths', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(spec(['sh', '-c', 'wc -c < /proc/timer_list; ls /proc/acpi 2>/dev/null | wc -l; echo 1 > /proc/sys/kernel/domainname && echo writable || echo readonly']));
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['0', '0', 'readonly']);
});

test('seccomp: a denied syscall fails with the configured errno', { skip, timeout: 60_000 }, async () => {
  await bundle.writeSpec(
    spec(['sh', '-c', 'mkdir /tmp/x-$$ && echo made || echo denied'], (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
    }),
  );
  const r = await rt('run', '--bundle', bundle.dir, nextId());
  assert.equal(r.stdout.trim(), 'denied', r.stderr);
});

test('hooks run at their points with the state on stdin', { skip, timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-hooks-'));
  try {
    const hook = join(dir, 'hook.sh');
    await writeFile(
      hook,
      `#!/bin/sh\nread -r state\necho "$1 $state" >> ${dir}/log\n` +
        // sockets among the descriptors above stdio
        `for f in /proc/$$/fd/*; do [ "\${f##*/}" -gt 2 ] && readlink "$f"; done | grep -c socket >> ${dir}/sockets; true\n`,
    );
    await chmod(hook, 0o755);
    const id = nextId();
    await bundle.writeSpec(
      spec(['true'], (s) => {
        s.hooks = Object.fromEntries(
          ['prestart', 'createRuntime', 'poststart', 'poststop'].map((p) => [p, [{ path: hook, args: ['hook', p] }]]),
        );
      }),
    );
    const r = await rt('run', '--bundle', bundle.dir, id);
    assert.equal(r.code, 0, r.stderr);
    const lines = (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['prestart', 'createRuntime', 'poststart', 'poststop']);
    const st = JSON.parse(lines[1]!.slice(lines[1]!.indexOf(' ') + 1)) as { id: string; pid: number; status: string };
    assert.equal(st.id, id);
    assert.ok(st.pid > 0);
    assert.equal(st.status, 'creating');
    // No hook gets the channel (a socket) of the shim berth-runtime's front end started.
    assert.deepEqual((await readFile(join(dir, 'sockets'), 'utf8')).trim().split('\n'), ['0', '0', '0', '0']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exec joins the namespaces of a running container; ps and events --stats see it', { skip, timeout: 60_000 }, async () => {
  const id = nextId();
  await bundle.writeSpec(spec(['sleep', '300']));
  assert.equal((await rt('run', '-d', '--bundle', bundle.dir, id)).code, 0);
  const e = await rt('exec', id, 'sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "; exit 7');
  assert.equal(e.code, 7, e.stderr);
  const [host, cmd] = e.stdout.trim().split('\n');
  assert.equal(host, 'berth-test');
  assert.equal(cmd?.trim(), 'sleep 300');
  const ps = await rt('ps', '--format', 'json', id);
  const pids = JSON.parse(ps.stdout) as number[];
  assert.ok(pids.length >= 1, ps.stderr);
  const ev = JSON.parse((await rt('events', '--stats', id)).stdout) as { type: string; data: { pids: { current: number }; memory: { usage: number } } };
  assert.equal(ev.type, 'stats');
  assert.ok(ev.data.pids.current >= 1);
  assert.ok(ev.data.memory.usage > 0);
  assert.equal((await rt('delete', '--force', id)).code, 0);
});
