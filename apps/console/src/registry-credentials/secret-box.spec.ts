import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box.js';
import type { ConsoleError } from '../common/errors.js';

test('SecretBox: key file created 0600 on first use and reused; sealed values open only with the same key and AAD', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-secretbox-'));
  try {
    const path = join(dir, 'sub', 'key');
    const a = await SecretBox.fromKeyFile(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await readFile(path)).length, 32);
    const sealed = a.seal('p4ss', 'registry-credential:hub');
    assert.equal(sealed.includes(Buffer.from('p4ss')), false);
    const b = await SecretBox.fromKeyFile(path);
    assert.equal(b.open(sealed, 'registry-credential:hub'), 'p4ss');
    assert.throws(() => b.open(sealed, 'registry-credential:other'), (e: ConsoleError) => e.code === 'secret_corrupt');
    sealed[14] = (sealed[14] ?? 0) ^ 1;
    assert.throws(() => b.open(sealed, 'registry-credential:hub'), (e: ConsoleError) => e.code === 'secret_corrupt');
    await writeFile(join(dir, 'short'), Buffer.alloc(5));
    await assert.rejects(SecretBox.fromKeyFile(join(dir, 'short')), /want 32 bytes, got 5/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
