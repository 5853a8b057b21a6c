import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseProcStat, readProcStat, isAlive, waitGone } from './proc.js';
import { parseSignal } from './kill.js';
import { checkContainerId } from './errors.js';

test('parseProcStat handles a comm with spaces and parentheses', () => {
  const line = '1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615';
  const st = parseProcStat(line);
  assert.equal(st.pid, 1234);
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 1);
  assert.equal(st.startTime, 987654);
});

test('isAlive tells a live process from an exited one and from a recycled pid', async () => {
  const child = spawn('sleep', ['30']);
  const st = await readProcStat(child.pid!);
  assert.ok(st);
  assert.equal(await isAlive(child.pid!, st.startTime), true);
  assert.equal(await isAlive(child.pid!, st.startTime + 1), false, 'another start time means another process');
  child.kill('SIGKILL');
  assert.equal(await waitGone(child.pid!, st.startTime, 5000), true);
});

test('parseSignal accepts numbers, names with and without SIG, any case', () => {
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('sigterm'), 15);
  assert.equal(parseSignal('SIGUSR1'), 10);
  assert.equal(parseSignal(2), 2);
  assert.throws(() => parseSignal('SIGNOPE'), /unknown signal "SIGNOPE"/);
  assert.throws(() => parseSignal('99'), /unknown signal/);
});

test('container ids follow runc rules', () => {
  for (const ok of ['a', 'c1', 'my-container_1.2', 'A'.repeat(200)]) assert.doesNotThrow(() => checkContainerId(ok));
  for (const bad of ['', '..', '.', 'a/b', '-x', 'a b', 'é']) {
    assert.throws(() => checkContainerId(bad), (e: unknown) => (e as { code?: string }).code === 'invalid_container_id', bad);
  }
});
