import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatAge, formatLabels, formatOutput, parseOutputFormat, renderFields, renderTable } from './output.js';

test('renderTable: columns align to the widest cell, three spaces apart, no trailing blanks, newlines flattened', () => {
  const out = renderTable(
    ['NAME', 'READY', 'IMAGE'],
    [
      ['web', '2/3', 'busybox:latest'],
      ['a-much-longer-name', '10/10', 'x\ny'],
      ['short', '', ''],
    ],
  );
  assert.equal(
    out,
    [
      'NAME                 READY   IMAGE',
      'web                  2/3     busybox:latest',
      'a-much-longer-name   10/10   x y',
      'short',
      '',
    ].join('\n'),
  );
  assert.equal(renderTable(['A'], []), 'A\n');
});

test('formatOutput: json and yaml carry the data, table calls the renderer only for table', () => {
  const data = { items: [{ name: 'web', replicas: 2, labels: { app: 'web' } }] };
  let called = 0;
  const table = () => {
    called++;
    return 'T\n';
  };
  assert.deepEqual(JSON.parse(formatOutput('json', data, table)), data);
  assert.deepEqual(parse(formatOutput('yaml', data, table)), data);
  assert.equal(called, 0);
  assert.equal(formatOutput('table', data, table), 'T\n');
  assert.equal(called, 1);
});

test('parseOutputFormat: table/json/yaml; anything else is a usage error naming the value', () => {
  assert.equal(parseOutputFormat(undefined), 'table');
  assert.equal(parseOutputFormat('yaml'), 'yaml');
  assert.throws(() => parseOutputFormat('wide'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /"wide"/.test(e.message));
});

test('formatAge and formatLabels', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.equal(formatAge('2026-01-01T23:59:15Z', now), '45s');
  assert.equal(formatAge('2026-01-01T23:48:00Z', now), '12m');
  assert.equal(formatAge('2026-01-01T21:00:00Z', now), '3h');
  assert.equal(formatAge('2025-12-28T00:00:00Z', now), '5d');
  assert.equal(formatAge(null, now), '<unknown>');
  assert.equal(formatAge('not a date', now), '<unknown>');
  assert.equal(formatLabels({ a: '1', b: '2' }), 'a=1,b=2');
  assert.equal(formatLabels({}), '<none>');
});

test('renderFields: aligned values; list values indented under their key; empty lists say <none>', () => {
  assert.equal(renderFields([['Name', 'web'], ['Labels', ['app=web', 'tier=1']], ['Conditions', []], ['Revision', '4']]), [
    'Name:        web',
    'Labels:',
    '  app=web',
    '  tier=1',
    'Conditions:  <none>',
    'Revision:    4',
    '',
  ].join('\n'));
});
