#!/usr/bin/env node
// CI check: the committed Prisma client (apps/console/src/generated/prisma) matches
// prisma/schema.prisma. Regenerates offline into a temporary copy and compares file by file.
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../../../', import.meta.url).pathname;
const committed = join(root, 'apps/console/src/generated/prisma');
const tmp = mkdtempSync(join(tmpdir(), 'berth-prisma-check-'));
try {
  const out = join(tmp, 'out');
  const schema = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8').replace(
    /output\s*=\s*"[^"]*"/,
    `output = ${JSON.stringify(out)}`,
  );
  writeFileSync(join(tmp, 'schema.prisma'), schema);
  const r = spawnSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', join(tmp, 'schema.prisma')], {
    cwd: root,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true' },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(2);
  }
  const files = new Set([...walk(out, out), ...walk(committed, committed)]);
  const stale = [];
  for (const f of files) {
    const a = existsSync(join(out, f)) ? normalize(readFileSync(join(out, f), 'utf8')) : null;
    const b = existsSync(join(committed, f)) ? normalize(readFileSync(join(committed, f), 'utf8')) : null;
    if (a !== b) stale.push(f);
  }
  if (stale.length) {
    console.error(`prisma client is stale (${stale.join(', ')}): run npm run prisma:generate -w @berth/console and commit`);
    process.exit(1);
  }
  console.error('prisma client is fresh');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function walk(dir, base, acc = []) {
  if (!existsSync(dir)) return acc;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, base, acc);
    else acc.push(relative(base, p));
  }
  return acc;
}

// The inlined schema names the output directory, which differs by construction.
function normalize(text) {
  return text.replace(/output\s*=\s*\\"[^"\\]*\\"/g, 'output = <out>');
}
