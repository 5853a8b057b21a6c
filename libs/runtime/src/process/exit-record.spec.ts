import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseExitRecord, readExitRecord } from './exit-record.js';
import { signalNumber } from './signal.js';

test('parseExitRecord reads the supervisor format', () => {
  assert.deepEqual(parseExitRecord('exit_code=137\nsignal=9\noom_killed=1\nfinished_at=1795983146482908878\n'),
    { exitCode: 137, signal: 9, oomKilled: true, finishedAt: 1795983146482908878n });
  assert.deepEqual(parseExitRecord('exit_code=0\nsignal=0\noom_killed=0\nfinished_at=5\n'), { exitCode: 0, oomKilled: false, finishedAt: 5n });
});

test('parseExitRecord names what is wrong', () => {
  assert.throws(() => parseExitRecord('exit_code=1\nsignal=0\noom_killed=0\n', '/x'), /failed to parse exit record \/x: missing finished_at/);
  assert.throws(() => parseExitRecord('exit_code=a\nsignal=0\noom_killed=0\nfinished_at=1\n'), /exit_code=a is not an integer/);
  assert.throws(() => parseExitRecord('exit_code=1\nsignal=0\noom_killed=2\nfinished_at=1\n'), /oom_killed=2 is not 0 or 1/);
  assert.throws(() => parseExitRecord('garbage\n'), /line "garbage" is not key=value/);
});

test('readExitRecord: undefined while absent, the record once written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-exit-'));
  try {
    const p = join(dir, 'exit');
    assert.equal(await readExitRecord(p), undefined);
    await writeFile(p, 'exit_code=3\nsignal=0\noom_killed=0\nfinished_at=7\n');
    assert.equal((await readExitRecord(p))?.exitCode, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('signalNumber accepts names with and without SIG and numbers', () => {
  assert.equal(signalNumber('SIGTERM'), 15);
  assert.equal(signalNumber('KILL'), 9);
  assert.equal(signalNumber(10), 10);
  assert.throws(() => signalNumber('SIGNOPE'), /unknown signal "SIGNOPE"/);
  assert.throws(() => signalNumber(99), /99 is not a signal number/);
});
