import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine, expectArgs, parseArgs, parseBytes, parseNumber, UsageError, type FlagSpec } from './args.js';

const FLAGS: FlagSpec[] = [
  { name: 'rm', kind: 'bool' },
  { name: 'detach', short: 'd', kind: 'bool' },
  { name: 'interactive', short: 'i', kind: 'bool' },
  { name: 'env', short: 'e', kind: 'list' },
  { name: 'workdir', short: 'w', kind: 'string' },
];

const cases: Array<{ argv: string[]; stop?: boolean; bools: string[]; env?: string[]; workdir?: string; rest: string[] }> = [
  { argv: ['--rm', 'img', 'sh', '-c', 'x'], stop: true, bools: ['rm'], rest: ['img', 'sh', '-c', 'x'] },
  { argv: ['-di', 'img'], stop: true, bools: ['detach', 'interactive'], rest: ['img'] },
  { argv: ['-e', 'A=1', '--env=B=2', '-eC=3', 'img'], stop: true, bools: [], env: ['A=1', 'B=2', 'C=3'], rest: ['img'] },
  { argv: ['-w', '/x', '--workdir=/y', 'img'], stop: true, bools: [], workdir: '/y', rest: ['img'] },
  { argv: ['-w/z', 'img'], stop: true, bools: [], workdir: '/z', rest: ['img'] },
  { argv: ['a', '--rm', 'b'], bools: ['rm'], rest: ['a', 'b'] },
  { argv: ['--rm', '--', '--not-a-flag'], bools: ['rm'], rest: ['--not-a-flag'] },
  { argv: ['--rm=false', 'x'], bools: [], rest: ['x'] },
];
for (const c of cases) {
  test(`parseArgs ${c.argv.join(' ')}`, () => {
    const p = parseArgs(c.argv, FLAGS, { stopAtFirstPositional: c.stop ?? false });
    assert.deepEqual([...p.bools].sort(), c.bools.sort());
    assert.deepEqual(p.lists.get('env') ?? [], c.env ?? []);
    assert.equal(p.strings.get('workdir'), c.workdir);
    assert.deepEqual(p.rest, c.rest);
  });
}

const bad: Array<{ argv: string[]; msg: RegExp }> = [
  { argv: ['--nope'], msg: /unknown flag: --nope/ },
  { argv: ['-x'], msg: /unknown shorthand flag: 'x' in -x/ },
  { argv: ['-e'], msg: /flag needs an argument: -e/ },
  { argv: ['--workdir'], msg: /flag needs an argument: --workdir/ },
  { argv: ['--rm=maybe'], msg: /invalid boolean value "maybe" for --rm/ },
];
for (const c of bad) {
  test(`parseArgs rejects ${c.argv.join(' ')}`, () => assert.throws(() => parseArgs(c.argv, FLAGS), (e: unknown) => e instanceof UsageError && c.msg.test(e.message)));
}

test('expectArgs names the command, the count and the usage', () => {
  assert.doesNotThrow(() => expectArgs('tag', ['a', 'b'], 2, 2, 'SOURCE TARGET'));
  assert.throws(() => expectArgs('tag', ['a'], 2, 2, 'SOURCE TARGET'), /"tag" requires exactly 2 arguments, got 1 \(usage: berth-node tag SOURCE TARGET\)/);
  assert.throws(() => expectArgs('rmi', [], 1, Infinity, 'IMAGE...'), /at least 1/);
});

const sizes: Array<[string, number]> = [['1024', 1024], ['512m', 512 * 1024 ** 2], ['1g', 1024 ** 3], ['1.5k', 1536], ['64MiB', 64 * 1024 ** 2], ['10b', 10]];
for (const [s, n] of sizes) test(`parseBytes ${s}`, () => assert.equal(parseBytes('memory', s), n));
test('parseBytes and parseNumber reject junk naming the flag', () => {
  assert.throws(() => parseBytes('memory', 'lots'), /invalid value "lots" for --memory/);
  assert.throws(() => parseNumber('pids-limit', '1.5', true), /invalid value "1.5" for --pids-limit: want a whole number/);
  assert.throws(() => parseNumber('cpus', '', false), /for --cpus/);
  assert.equal(parseNumber('cpus', '0.5', false), 0.5);
});

test('errorLine: one line, "berth-node: failed to ..."', () => {
  assert.equal(errorLine(new UsageError('unknown flag: --x')), 'berth-node: failed to parse command line: unknown flag: --x\n');
  assert.equal(errorLine(new Error('failed to pull x: 404')), 'berth-node: failed to pull x: 404\n');
  assert.equal(errorLine(new Error('boom\nmore')), 'berth-node: failed to run command: boom more\n');
});
