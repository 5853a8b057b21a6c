import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests } from './manifest.js';

test('parseManifests: several documents, optional kind/labels/replicas/revision, empty documents skipped', () => {
  const text = [
    '# two workloads',
    'name: web',
    'labels: {app: web}',
    'replicas: 3',
    'spec:',
    '  image: busybox:latest',
    '  command: [sleep, "60"]',
    '---',
    '---',
    'kind: Workload',
    'name: api',
    'revision: 12',
    'spec: {image: "nginx:1.27"}',
    '',
  ].join('\n');
  const ms = parseManifests(text, 'w.yaml');
  assert.equal(ms.length, 2);
  assert.deepEqual(ms[0], { name: 'web', labels: { app: 'web' }, replicas: 3, spec: { image: 'busybox:latest', command: ['sleep', '60'] }, line: 2 });
  assert.deepEqual(ms[1], { name: 'api', revision: 12, spec: { image: 'nginx:1.27' }, line: 10 });
});

test('parseManifests: a YAML syntax error names file, line and column', () => {
  assert.throws(() => parseManifests('name: web\nspec:\n  image: x\n\tcommand: [a]\n', 'w.yaml'), /^CliError: failed to parse w\.yaml:4:1: Tabs are not allowed as indentation$/);
  assert.throws(() => parseManifests('name: web\nspec:\n  image: busybox: latest\n', 'w.yaml'), /failed to parse w\.yaml:3:10: Nested mappings are not allowed/);
  // In the second document: lines count from the top of the file.
  assert.throws(() => parseManifests('name: a\nspec: {image: x}\n---\nname: b\n  spec: 1\n', 'f.yaml'), /failed to parse f\.yaml:4:7: /);
  assert.throws(() => parseManifests('name: a\nname: b\nspec: {}\n', 'dup.yaml'), /failed to parse dup\.yaml:2:1: Map keys must be unique/);
});

test('parseManifests: wrong shapes name the document and the field', () => {
  const cases: [string, RegExp][] = [
    ['- a\n- b\n', /document 1 \(line 1\): \(document\): must be a mapping/],
    ['name: web\n', /spec: is required and must be a mapping/],
    ['spec: {}\n', /name: is required/],
    ['name: web\nspec: {}\nmetadata: {}\n', /metadata: unknown field/],
    ['kind: Pod\nname: web\nspec: {}\n', /kind: must be Workload, got "Pod"/],
    ['name: web\nreplicas: -1\nspec: {}\n', /replicas: must be a non-negative integer/],
    ['name: web\nreplicas: "2"\nspec: {}\n', /replicas: must be a non-negative integer/],
    ['name: web\nrevision: 0\nspec: {}\n', /revision: must be a positive integer/],
    ['name: web\nlabels: {tier: 1}\nspec: {}\n', /labels\.tier: must be a string/],
    ['name: a\nspec: {}\n---\nname: a\nspec: {}\n', /document 2 \(line 4\): workload "a" is already defined at line 1/],
    ['', /contains no workload documents/],
    ['---\n# nothing\n', /contains no workload documents/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseManifests(text, 'm.yaml'), re, JSON.stringify(text));
});
