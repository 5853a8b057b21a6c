#!/usr/bin/env node
// Fails when libs/proto/src/generated is stale: regenerates into a temporary directory with the
// same buf template and compares every file byte for byte.
// Usage: node libs/proto/scripts/check-generated.mjs   (from anywhere)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const lib = new URL('..', import.meta.url).pathname;
const buf = join(lib, '..', '..', 'node_modules', '.bin', 'buf');
const committed = join(lib, 'src', 'generated');
const tmp = mkdtempSync(join(tmpdir(), 'berth-proto-check-'));

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

try {
  const r = spawnSync(buf, ['generate', '--template', 'buf.gen.yaml', '--output', tmp], { cwd: lib, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`proto:check: failed to run buf generate: exit ${r.status ?? r.signal}`);
    process.exit(1);
  }
  const fresh = join(tmp, 'src', 'generated');
  const a = files(committed);
  const b = files(fresh);
  const problems = [];
  for (const f of b) if (!a.includes(f)) problems.push(`missing from src/generated: ${f}`);
  for (const f of a) if (!b.includes(f)) problems.push(`not generated any more: ${f}`);
  for (const f of a.filter((x) => b.includes(x))) {
    if (!readFileSync(join(committed, f)).equals(readFileSync(join(fresh, f)))) problems.push(`stale: ${f}`);
  }
  if (problems.length > 0) {
    console.error(`proto:check: generated code is out of date (run: cd libs/proto && npm run generate):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.error(`proto:check: ${a.length} generated file(s) up to date`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
