import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, str, bool, list, UsageError } from './args.js';

const specs = [
  { name: 'bundle', alias: 'b', kind: 'string' as const, default: '.' },
  { name: 'detach', alias: 'd', kind: 'bool' as const },
  { name: 'env', alias: 'e', kind: 'list' as const },
];

test('parses runc-style flags in every spelling', () => {
  const p = parseArgs(['--bundle', '/b', '-d', 'c1', '-e', 'A=1', '--env=B=2'], specs);
  assert.equal(str(p, 'bundle'), '/b');
  assert.equal(bool(p, 'detach'), true);
  assert.deepEqual(list(p, 'env'), ['A=1', 'B=2']);
  assert.deepEqual(p.rest, ['c1']);
  assert.equal(str(parseArgs(['-b=/x'], specs), 'bundle'), '/x');
  assert.equal(str(parseArgs([], specs), 'bundle'), '.');
  assert.equal(bool(parseArgs(['--detach=false'], specs), 'detach'), false);
});

test('stops at the first positional when asked, and at --', () => {
  const p = parseArgs(['--detach', 'run', '--bundle', 'x'], specs, { stopAtFirstPositional: true });
  assert.deepEqual(p.rest, ['run', '--bundle', 'x']);
  assert.deepEqual(parseArgs(['c1', '--', '-d'], specs).rest, ['c1', '-d']);
});

test('rejects unknown flags, missing values and bad booleans with the flag named', () => {
  assert.throws(() => parseArgs(['--nope'], specs), (e: unknown) => e instanceof UsageError && /-nope/.test(e.message));
  assert.throws(() => parseArgs(['--bundle'], specs), /flag needs an argument: -bundle/);
  assert.throws(() => parseArgs(['--detach=maybe'], specs), /invalid boolean value "maybe" for -detach/);
});
