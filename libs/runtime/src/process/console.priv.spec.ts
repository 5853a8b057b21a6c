import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchInit } from './launch.js';
import { baseProcess, buildShim, killQuietly, options, skipUnlessRoot, withRootfs } from './testing.js';

const skip = skipUnlessRoot;
if (!skip) buildShim();

// Node cannot receive SCM_RIGHTS, so a tiny C receiver (like runc's recvtty) stands in for the
// caller: it accepts one connection, takes the pty master, types argv[2] into it and copies
// everything the container writes to its stdout until the pty closes.
const RECVTTY = String.raw`
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strncpy(sa.sun_path, argv[1], sizeof sa.sun_path - 1);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 1) < 0) return 3;
  int c = accept(s, NULL, NULL);
  char byte, cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (c < 0 || recvmsg(c, &mh, 0) != 1) return 4;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return 5;
  int master;
  memcpy(&master, CMSG_DATA(cm), sizeof master);
  if (write(master, argv[2], strlen(argv[2])) < 0) return 6;
  char buf[4096];
  ssize_t n;
  while ((n = read(master, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  return 0;
}
`;

test('terminal: the pty master arrives over the console socket; the slave is stdio and ctty', { skip }, () =>
  withRootfs(async (fx) => {
    const src = join(fx.dir, 'recvtty.c');
    const bin = join(fx.dir, 'recvtty');
    await writeFile(src, RECVTTY);
    execFileSync('cc', ['-o', bin, src]);
    const sock = join(fx.dir, 'console.sock');
    const recv = spawn(bin, [sock, 'hello\n'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    recv.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const recvExit = new Promise<number | null>((resolve) => recv.once('exit', resolve));
    try {
      for (let i = 0; i < 100; i++) {
        if (await access(sock).then(() => true, () => false)) break;
        await sleep(10);
      }
      // `read` first: the tty echoes "hello" when recvtty types it, which must come before the
      // shell's own output for the order below not to depend on how fast the shell starts.
      const proc = baseProcess(['sh', '-c', 'read x; tty; echo got:$x; stty size; read -r a b c d e f g rest < /proc/self/stat; echo tty_nr=$g'], {
        terminal: true, consoleSize: { height: 33, width: 101 },
      });
      const h = await launchInit(options(fx, proc, { consoleSocket: sock }));
      const rec = await h.wait();
      assert.equal(await recvExit, 0);
      assert.equal(rec.exitCode, 0);
      const lines = out.split('\r\n');
      assert.equal(lines[0], 'hello', 'the tty echoes what was typed');
      // tty_nr of the shell: 136 << 8 | 0 is /dev/pts/0, so the pty is its controlling terminal
      assert.deepEqual(lines.slice(1, 5), ['/dev/pts/0', 'got:hello', '33 101', 'tty_nr=34816']);
    } finally {
      killQuietly(recv.pid ?? 0);
    }
  }));

test('terminal without a console socket is refused before anything starts', { skip }, () =>
  withRootfs(async (fx) => {
    await assert.rejects(launchInit(options(fx, baseProcess(['true'], { terminal: true }))), /process.terminal needs a consoleSocket/);
  }));
