import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { BPF, MNT, S_IF } from './constants.js';
import type { Syscalls } from './types.js';

/** What the shared suite needs from one implementation. */
export interface SyscallsHarness {
  sys: Syscalls;
  /** pid `getpid()` must return. */
  expectedPid: number;
  /** Start a long-running process and return its pid (reaped by the harness). */
  startProcess(): Promise<number>;
  /** xattr name the implementation can set on a file in the temp dir. */
  xattrName: string;
  cleanup(): Promise<void>;
}

function expectErrno(fn: () => unknown, code: string, category: string, path?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BerthError, `expected BerthError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.category, category);
    assert.match(err.message, new RegExp(`^failed to .*: ${code} \\(`));
    if (path !== undefined) assert.equal(err.path, path);
    return true;
  });
}

/** The contract every Syscalls must meet; `name` prefixes the test names. */
export function syscallsSuite(name: string, make: () => Promise<SyscallsHarness>, opts: { skipMount?: string | false } = {}): void {
  const withHarness = (title: string, opts: { skip?: boolean | string }, fn: (h: SyscallsHarness, dir: string) => Promise<void> | void): void => {
    test(`${name}: ${title}`, opts, async () => {
      const h = await make();
      const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
      try {
        await fn(h, dir);
      } finally {
        await h.cleanup();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  };

  withHarness('getpid returns the caller', {}, (h) => {
    assert.equal(h.sys.getpid(), h.expectedPid);
  });

  withHarness('pidfd: open, signal, wait for exit', {}, async (h) => {
    const pid = await h.startProcess();
    const fd = h.sys.pidfdOpen(pid);
    try {
      assert.ok(fd >= 0);
      h.sys.pidfdSendSignal(fd, 0);
      await assert.rejects(h.sys.pidfdWait(fd, 50), (e: unknown) => e instanceof BerthError && e.code === 'ETIMEDOUT');
      h.sys.pidfdSendSignal(fd, 15);
      await h.sys.pidfdWait(fd, 5000);
    } finally {
      h.sys.close(fd);
    }
  });

  withHarness('pidfd_open of a pid that does not exist is ESRCH/not_found with the pid', {}, (h) => {
    assert.throws(() => h.sys.pidfdOpen(4_194_303 + 1000), (e: unknown) => e instanceof BerthError && e.code === 'ESRCH' && e.category === 'not_found' && e.pid === 4_195_303);
  });

  withHarness('close of a bad fd is EBADF', {}, (h) => {
    expectErrno(() => h.sys.close(987_654), 'EBADF', 'invalid_argument');
  });

  withHarness('xattrs: set, get, list, replace, remove', {}, (h, dir) => {
    const f = join(dir, 'f');
    writeFileSync(f, 'x');
    const n = h.xattrName;
    expectErrno(() => h.sys.lgetxattr(f, n), 'ENODATA', 'not_found', f);
    h.sys.lsetxattr(f, n, Buffer.from('v1'));
    assert.equal(h.sys.lgetxattr(f, n).toString(), 'v1');
    assert.ok(h.sys.llistxattr(f).includes(n));
    expectErrno(() => h.sys.lsetxattr(f, n, Buffer.from('v2'), 1 /* XATTR_CREATE */), 'EEXIST', 'already_exists', f);
    h.sys.lsetxattr(f, n, Buffer.from('a longer value'), 2 /* XATTR_REPLACE */);
    assert.equal(h.sys.lgetxattr(f, n).toString(), 'a longer value');
    h.sys.lremovexattr(f, n);
    assert.ok(!h.sys.llistxattr(f).includes(n));
    expectErrno(() => h.sys.lremovexattr(f, n), 'ENODATA', 'not_found', f);
    expectErrno(() => h.sys.llistxattr(join(dir, 'missing')), 'ENOENT', 'not_found', join(dir, 'missing'));
  });

  withHarness('bpf: load a cgroup device program, reject an empty one', {}, (h) => {
    const insns = Buffer.alloc(16);
    insns.writeUInt8(0xb7, 0); // r0 = 1 (allow)
    insns.writeInt32LE(1, 4);
    insns.writeUInt8(0x95, 8); // exit
    const fd = h.sys.bpfProgLoad(BPF.PROG_TYPE_CGROUP_DEVICE, insns, 'Apache-2.0');
    assert.ok(fd >= 0);
    h.sys.close(fd);
    expectErrno(() => h.sys.bpfProgLoad(BPF.PROG_TYPE_CGROUP_DEVICE, Buffer.alloc(0), 'Apache-2.0'), 'E2BIG', 'invalid_argument');
  });

  withHarness('mkfifo and mknod(S_IFIFO) create once, then EEXIST', {}, (h, dir) => {
    const a = join(dir, 'a.fifo');
    const b = join(dir, 'b.fifo');
    h.sys.mkfifo(a, 0o600);
    expectErrno(() => h.sys.mkfifo(a, 0o600), 'EEXIST', 'already_exists', a);
    h.sys.mknod(b, S_IF.FIFO | 0o600, 0);
    expectErrno(() => h.sys.mknod(b, S_IF.FIFO | 0o600, 0), 'EEXIST', 'already_exists', b);
  });

  test(`${name}: mount and unmount a tmpfs`, { skip: opts.skipMount ?? false }, async () => {
    const h = await make();
    const dir = mkdtempSync(join(tmpdir(), 'berth-sys-'));
    const target = join(dir, 'mnt');
    mkdirSync(target);
    let mounted = false;
    try {
      h.sys.mount('berth-test', target, 'tmpfs', 0, 'size=1m,mode=700');
      mounted = true;
      h.sys.umount2(target, 0);
      mounted = false;
      expectErrno(() => h.sys.umount2(target, 0), 'EINVAL', 'invalid_argument', target);
      expectErrno(() => h.sys.mount('x', join(dir, 'missing'), 'tmpfs', 0, null), 'ENOENT', 'not_found', join(dir, 'missing'));
    } finally {
      if (mounted) h.sys.umount2(target, MNT.DETACH);
      await h.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
