import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../errors.js';
import { CLONE, PR, makedev } from './constants.js';
import { FakeSyscalls } from './fake.js';
import { syscallsSuite } from './suite.js';

syscallsSuite('fake', async () => {
  const sys = new FakeSyscalls({ pid: 777 });
  return { sys, expectedPid: 777, xattrName: 'user.berth.test', startProcess: async () => sys.startProcess(), cleanup: async () => {} };
});

test('fake records every call with its arguments in order', () => {
  const sys = new FakeSyscalls();
  sys.unshare(CLONE.NEWNS | CLONE.NEWUTS);
  sys.sethostname('c1');
  sys.prctl(PR.SET_PDEATHSIG, 9);
  assert.deepEqual(sys.calls, [
    { name: 'unshare', args: [CLONE.NEWNS | CLONE.NEWUTS] },
    { name: 'sethostname', args: ['c1'] },
    { name: 'prctl', args: [PR.SET_PDEATHSIG, 9, 0, 0, 0] },
  ]);
  assert.equal(sys.hostname, 'c1');
});

test('fake scripted failure throws the errno with category and path, once', () => {
  const sys = new FakeSyscalls();
  sys.fail('chroot', 'EACCES');
  assert.throws(() => sys.chroot('/'), (e: unknown) => e instanceof BerthError && e.code === 'EACCES' && e.category === 'permission_denied' && e.path === '/' && e.message === 'failed to change root to /: EACCES (permission denied)');
  sys.chroot('/');
  assert.equal(sys.root, '/');
});

test('fake scripted failure can match arguments and repeat', () => {
  const sys = new FakeSyscalls();
  sys.fail('setns', 'EINVAL', { times: 2, when: (a) => a[1] === CLONE.NEWPID });
  sys.setns(3, CLONE.NEWNET);
  assert.throws(() => sys.setns(4, CLONE.NEWPID), { code: 'EINVAL', category: 'invalid_argument' });
  assert.throws(() => sys.setns(4, CLONE.NEWPID), { code: 'EINVAL' });
  sys.setns(4, CLONE.NEWPID);
  assert.equal(sys.namespaces.length, 2);
});

test('fake scripted result replaces the model answer', () => {
  const sys = new FakeSyscalls();
  sys.respond('prctl', () => 1);
  assert.equal(sys.prctl(PR.GET_NO_NEW_PRIVS), 1);
  assert.equal(sys.prctl(PR.GET_NO_NEW_PRIVS), 0);
});

test('fake subreaper flag round-trips through prctl and the helpers', () => {
  const sys = new FakeSyscalls();
  assert.equal(sys.getChildSubreaper(), false);
  sys.setChildSubreaper(true);
  assert.equal(sys.getChildSubreaper(), true);
  sys.prctl(PR.SET_CHILD_SUBREAPER, 0);
  assert.equal(sys.getChildSubreaper(), false);
});

test('fake capset refuses to raise permitted capabilities (EPERM)', () => {
  const sys = new FakeSyscalls();
  sys.capset({ effective: 1n, permitted: 3n, inheritable: 0n });
  assert.deepEqual(sys.capget(), { effective: 1n, permitted: 3n, inheritable: 0n });
  assert.throws(() => sys.capset({ effective: 4n, permitted: 7n, inheritable: 0n }), { code: 'EPERM', category: 'permission_denied' });
});

test('fake kill of a stopped fake process is ESRCH with the pid', () => {
  const sys = new FakeSyscalls();
  const pid = sys.startProcess();
  sys.kill(pid, 9);
  assert.deepEqual(sys.signalsOf(pid), [9]);
  assert.throws(() => sys.kill(pid, 0), (e: unknown) => e instanceof BerthError && e.code === 'ESRCH' && e.pid === pid);
});

test('makedev matches glibc for small and large numbers', () => {
  assert.equal(makedev(1, 3), 0x103);
  assert.equal(makedev(8, 1), 0x801);
  assert.equal(makedev(259, 0x12345), 0x12310345);
  assert.equal(makedev(0x1234, 5), 0x100000023405);
});
