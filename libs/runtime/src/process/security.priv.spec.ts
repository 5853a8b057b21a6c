import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LinuxCapabilities } from '../spec/types.js';
import { capsToMask } from './capabilities.js';
import { launchInit } from './launch.js';
import { compileSeccomp } from './seccomp/index.js';
import { ALL_NS, baseProcess, buildShim, killQuietly, options, readCriLog, runToExit, skipUnlessRoot, withRootfs } from './testing.js';

const skip = skipUnlessRoot;
if (!skip) buildShim();

const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

function caps(names: string[]): LinuxCapabilities {
  return { bounding: names, effective: names, permitted: names };
}

const capLine = (status: string, key: string) => BigInt(`0x${/^\s*(\w+)/.exec(status.split(`${key}:`)[1] ?? '')?.[1] ?? 'x'}`);

test('capabilities: sets match the spec; without CAP_MKNOD mknod fails, with it it works', { skip }, () =>
  withRootfs(async (fx) => {
    const script = 'grep -E "^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs)" /proc/self/status; mknod /tmp/n c 1 3 && echo made';
    const without = DEFAULT_CAPS.filter((c) => c !== 'CAP_MKNOD');
    const r1 = await runToExit(options(fx, baseProcess(['sh', '-c', script], { capabilities: caps(without), noNewPrivileges: true })));
    assert.match(r1.stderr, /mknod: \/tmp\/n: Operation not permitted/);
    assert.doesNotMatch(r1.stdout, /made/);
    const mask = capsToMask(without);
    for (const key of ['CapBnd', 'CapEff', 'CapPrm']) assert.equal(capLine(r1.stdout, key), mask, key);
    assert.equal(capLine(r1.stdout, 'CapInh'), 0n);
    assert.equal(capLine(r1.stdout, 'CapAmb'), 0n);
    assert.match(r1.stdout, /NoNewPrivs:\s+1/);
    const r2 = await runToExit(options(fx, baseProcess(['sh', '-c', script], { capabilities: caps(DEFAULT_CAPS) })));
    assert.match(r2.stdout, /made/);
    assert.match(r2.stdout, /NoNewPrivs:\s+0/);
  }));

test('a non-root user keeps exactly the granted and ambient capabilities', { skip }, () =>
  withRootfs(async (fx) => {
    const granted = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
    const proc = baseProcess(['grep', '-E', '^Cap(Eff|Prm|Amb|Bnd)', '/proc/self/status'], {
      user: { uid: 1000, gid: 1000 },
      capabilities: { ...caps(granted), inheritable: granted, ambient: ['CAP_NET_BIND_SERVICE'] },
    });
    const { stdout } = await runToExit(options(fx, proc));
    assert.equal(capLine(stdout, 'CapAmb'), capsToMask(['CAP_NET_BIND_SERVICE']));
    // ambient caps survive execve into the unprivileged program
    assert.equal(capLine(stdout, 'CapEff'), capsToMask(['CAP_NET_BIND_SERVICE']));
    assert.equal(capLine(stdout, 'CapBnd'), capsToMask(granted));
  }));

/** Hand-assembled filter: on x86-64, mkdir and mkdirat return EPERM, everything else runs. */
function denyMkdirBpf(): Buffer {
  const LD_ABS = 0x20, JEQ = 0x15, RET = 0x06;
  const prog: [number, number, number, number][] = [
    [LD_ABS, 0, 0, 4], [JEQ, 1, 0, 0xc000003e], [RET, 0, 0, 0x80000000],
    [LD_ABS, 0, 0, 0], [JEQ, 2, 0, 83], [JEQ, 1, 0, 258], [RET, 0, 0, 0x7fff0000], [RET, 0, 0, 0x00050000 | 1],
  ];
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k, i * 8 + 4);
  });
  return b;
}

test('seccomp: a hand-built filter makes mkdir fail with EPERM, with and without no_new_privs', { skip }, () =>
  withRootfs(async (fx) => {
    for (const noNewPrivileges of [true, false]) {
      const proc = baseProcess(['sh', '-c', 'mkdir /tmp/d && echo made; touch /tmp/f && echo touched'], { noNewPrivileges });
      const log = join(fx.dir, `nnp-${noNewPrivileges}.log`);
      const { stdout, stderr } = await runToExit(options(fx, proc, { seccomp: denyMkdirBpf(), stdio: { stdout: log, stderr: log } }));
      assert.equal(stdout, 'touched\n');
      assert.match(stderr, /mkdir: can't create directory '\/tmp\/d': Operation not permitted/);
    }
    const control = await runToExit(options(fx, baseProcess(['sh', '-c', 'mkdir /tmp/d2 && echo made'])));
    assert.equal(control.stdout, 'made\n');
  }));

test('seccomp: a filter from compileSeccomp is loaded as well', { skip }, () =>
  withRootfs(async (fx) => {
    const bpf = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
    const { stderr } = await runToExit(options(fx, baseProcess(['mkdir', '/tmp/d'], { noNewPrivileges: true }), { seccomp: bpf }));
    assert.match(stderr, /Permission denied/);
  }));

test('user namespace: root inside is uid 100000 outside; devices are bind-mounted', { skip }, () =>
  withRootfs(async (fx) => {
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const o = options(fx, baseProcess(['sh', '-c', 'id; cat /proc/self/uid_map; echo hi > /dev/null && echo devnull-ok; echo ready; sleep 100']), {
      namespaces: [...ALL_NS, { type: 'user' }], uidMappings: map, gidMappings: map,
    });
    const h = await launchInit(o);
    try {
      let out = '';
      for (let i = 0; i < 100 && !out.includes('ready'); i++) {
        await sleep(20);
        out = await readCriLog(o.stdio === 'inherit' ? '' : o.stdio.stdout, 'stdout');
      }
      const lines = out.trim().split('\n');
      assert.equal(lines[0], 'uid=0(root) gid=0(root)');
      assert.deepEqual(lines[1]?.trim().split(/\s+/), ['0', '100000', '65536']);
      assert.equal(lines[2], 'devnull-ok');
      const status = await readFile(`/proc/${h.initPid}/status`, 'utf8');
      assert.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
      assert.notEqual(await readFile(`/proc/${h.initPid}/uid_map`, 'utf8'), await readFile('/proc/self/uid_map', 'utf8'));
    } finally {
      killQuietly(h.initPid);
      await h.wait();
    }
  }));
