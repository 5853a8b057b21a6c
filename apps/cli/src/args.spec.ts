import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseDuration, expectPositionals } from './args.js';
import { UsageError } from './errors.js';
import { findCommand, splitGlobals } from './cli.js';

const specs = {
  replicas: { type: 'int', min: 0 },
  follow: { type: 'boolean', short: 'f' },
  filename: { type: 'string', multiple: true },
  selector: { type: 'string', short: 'l' },
} as const;

test('parseArgs: long, =value, short, booleans, repeated flags, positionals anywhere, -- terminator', () => {
  const a = parseArgs(['web', '--replicas', '3', '-f', '-lapp=web', '--filename=a.yaml', '--filename', 'b.yaml', 'x', '--', '-o', 'json'], specs);
  assert.deepEqual(a.flags, { replicas: 3, follow: true, selector: 'app=web', filename: ['a.yaml', 'b.yaml'] });
  assert.deepEqual(a.positionals, ['web', 'x']);
  assert.deepEqual(a.rest, ['-o', 'json']);
  assert.deepEqual(parseArgs(['--follow=false', '-'], specs).flags, { follow: false });
  assert.deepEqual(parseArgs(['--replicas=0'], specs).flags, { replicas: 0 });
});

test('parseArgs: unknown flags, missing values, bad integers and bad booleans are usage errors naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--nope'], /unknown flag --nope/],
    [['-z'], /unknown flag -z/],
    [['--replicas'], /--replicas needs a value/],
    [['--replicas', '--follow'], /--replicas needs a value/],
    [['--replicas', 'three'], /--replicas wants an integer, got "three"/],
    [['--replicas', '-1'], /--replicas must be at least 0, got -1/],
    [['--follow=yes'], /--follow takes no value/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseArgs(argv, specs), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message), argv.join(' '));
  }
});

test('parseDuration: units, combinations, plain seconds; anything else names the flag', () => {
  assert.equal(parseDuration('timeout', '30s'), 30_000);
  assert.equal(parseDuration('timeout', '1m30s'), 90_000);
  assert.equal(parseDuration('timeout', '2h'), 7_200_000);
  assert.equal(parseDuration('timeout', '250ms'), 250);
  assert.equal(parseDuration('timeout', '5'), 5000);
  for (const bad of ['', '5x', 'm', '1m 2s', '-1s']) assert.throws(() => parseDuration('timeout', bad), /--timeout wants a duration/, bad);
});

test('expectPositionals: names what is missing and what is extra', () => {
  assert.deepEqual(expectPositionals(parseArgs(['web'], {}), ['NAME'], 'workloads scale'), ['web']);
  assert.throws(() => expectPositionals(parseArgs([], {}), ['NAME'], 'workloads scale'), /workloads scale: missing NAME/);
  assert.throws(() => expectPositionals(parseArgs(['a', 'b'], {}), ['NAME'], 'x'), /x: unexpected argument "b"/);
});

test('splitGlobals: --server/--token/-o anywhere before --, in every spelling; the rest keeps its order', () => {
  const { globals, rest } = splitGlobals(['-o', 'json', 'workloads', '--server=http://h:1', 'scale', 'web', '--token', 't0', '-oyaml', '--replicas', '2', '--', '--token', 'x']);
  assert.deepEqual(globals, { help: false, output: 'yaml', server: 'http://h:1', token: 't0' });
  assert.deepEqual(rest, ['workloads', 'scale', 'web', '--replicas', '2', '--', '--token', 'x']);
  assert.equal(splitGlobals(['nodes', '-h']).globals.help, true);
  assert.throws(() => splitGlobals(['ls', '--server']), /--server needs a value/);
});

test('findCommand: longest path wins; unknown and incomplete commands list what exists', () => {
  assert.deepEqual(findCommand(['workloads', 'rollout', 'status', 'web']).command.path, ['workloads', 'rollout', 'status']);
  assert.deepEqual(findCommand(['workloads', 'scale', 'web']).args, ['web']);
  assert.deepEqual(findCommand(['logs', '-f', 'web']).args, ['-f', 'web']);
  assert.throws(() => findCommand(['deploy']), /unknown command "deploy"/);
  assert.throws(() => findCommand(['workloads']), /missing subcommand of "workloads": want one of apply, ls, describe, scale, rollback, delete, rollout/);
  assert.throws(() => findCommand(['workloads', 'rollout', 'undo']), /unknown subcommand of "workloads rollout" "undo": want one of status/);
});
