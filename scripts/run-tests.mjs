#!/usr/bin/env node
// Runs every compiled *.spec.js (unit) and *.priv.spec.js (privileged; they skip themselves
// when not root) under libs/*/dist, apps/*/dist and test/dist with node's test runner.
// Usage: node scripts/run-tests.mjs [--unit] [filter-substring...]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (name.endsWith('.spec.js')) out.push(p);
  }
  return out;
}

const dists = [];
for (const group of ['libs', 'apps']) {
  const g = join(root, group);
  if (!existsSync(g)) continue;
  for (const name of readdirSync(g)) dists.push(join(g, name, 'dist'));
}
dists.push(join(root, 'test', 'dist'), join(root, 'bench', 'dist'));

let files = [];
for (const d of dists) if (existsSync(d)) walk(d, files);
files = files.filter((f) => !f.includes(`${join('bench', 'dist')}`) || f.endsWith('.spec.js'));
if (unitOnly) files = files.filter((f) => !f.endsWith('.priv.spec.js') && !f.includes(join('test', 'dist')));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
console.error(`run-tests: ${files.length} files: ${files.map((f) => relative(root, f)).join(' ')}`);
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
