import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { readFileSync, readlinkSync } from 'node:fs';
import { closeFd, decodeWaitStatus, nativeSpawnAvailable, socketPair, spawnProcess, type SpawnOptions } from './spawn.js';

const skip = nativeSpawnAvailable() ? false : 'posix_spawn through koffi or pidfd_open is unavailable here';

/** Runs `sh -c script` with fd 3 connected to us; returns what it wrote there and its exit. */
async function sh(script: string, o: Partial<SpawnOptions> = {}) {
  const [ours, theirs] = socketPair();
  let proc;
  try {
    proc = spawnProcess({ path: '/bin/sh', args: ['sh', '-c', script], stdio: 'ignore', fd3: theirs, ...o });
  } finally {
    closeFd(theirs);
  }
  const sock = new Socket({ fd: ours, readable: true, writable: false });
  let out = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (out += d));
  await new Promise((resolve) => sock.once('close', resolve));
  return { pid: proc.pid, out, exit: await proc.exited };
}

test('decodeWaitStatus tells an exit code from a signal', () => {
  assert.deepEqual(decodeWaitStatus(7 << 8), { code: 7, signal: null });
  assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
  assert.deepEqual(decodeWaitStatus(9), { code: null, signal: 'SIGKILL' });
  assert.deepEqual(decodeWaitStatus(15 | 0x80), { code: null, signal: 'SIGTERM' });
});

test('spawnProcess passes fd 3, reports the exit code and reaps the child', { skip }, async () => {
  const r = await sh('echo hello >&3; exit 7');
  assert.equal(r.out, 'hello\n');
  assert.deepEqual(r.exit, { code: 7, signal: null });
  assert.throws(() => readlinkSync(`/proc/${r.pid}/exe`), /ENOENT/); // reaped: no zombie left
});

test('spawnProcess reports death by signal', { skip }, async () => {
  const r = await sh('kill -TERM $$');
  assert.deepEqual(r.exit, { code: null, signal: 'SIGTERM' });
});

test('spawnProcess: the child has an empty signal mask and default dispositions (Node ignores SIGPIPE)', { skip }, async () => {
  // Node ignores SIGPIPE and glibc's internal signals 32 and 33; child_process resets them all.
  assert.match(readFileSync('/proc/self/status', 'utf8'), /^SigIgn:\s+0*1[0-9a-f]*$/m);
  const r = await sh("grep -E '^Sig(Blk|Ign)' /proc/self/status >&3");
  assert.match(r.out, /^SigBlk:\s+0+$/m);
  assert.match(r.out, /^SigIgn:\s+0+$/m);
});

test("spawnProcess: stdio 'ignore' is /dev/null, 'inherit' is this process's fds", { skip }, async () => {
  const ignored = await sh('fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); echo "$fds" >&3');
  assert.equal(ignored.out, '/dev/null\n/dev/null\n/dev/null\n');
  const inherited = await sh('fds=$(readlink /proc/$$/fd/1 /proc/$$/fd/2); echo "$fds" >&3', { stdio: 'inherit' });
  assert.equal(inherited.out, `${readlinkSync('/proc/self/fd/1')}\n${readlinkSync('/proc/self/fd/2')}\n`);
});

test('spawnProcess: setsid makes the child a session leader, otherwise it stays in ours', { skip }, async () => {
  const field = "cut -d' ' -f6 /proc/self/stat >&3; echo $$ >&3"; // session id, then the pid
  const [sid, pid] = (await sh(field, { setsid: true })).out.trim().split('\n');
  assert.equal(sid, pid);
  const [sid2] = (await sh(field)).out.trim().split('\n');
  const ourSid = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[3];
  assert.equal(sid2, ourSid);
});

test('spawnProcess: a program that does not exist is ENOENT naming the path', { skip }, () => {
  assert.throws(() => spawnProcess({ path: '/nonexistent/prog', args: ['prog'], stdio: 'ignore' }), (err: Error & { code?: string; path?: string }) => {
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.path, '/nonexistent/prog');
    assert.match(err.message, /^failed to run \/nonexistent\/prog: ENOENT/);
    return true;
  });
});
