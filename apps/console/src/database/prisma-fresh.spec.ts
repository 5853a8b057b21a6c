import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// CI check: the committed Prisma client matches prisma/schema.prisma (regenerated offline).
test('the committed Prisma client is generated from the current prisma/schema.prisma', () => {
  const script = fileURLToPath(new URL('../../scripts/check-prisma-fresh.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /prisma client is fresh/);
});
