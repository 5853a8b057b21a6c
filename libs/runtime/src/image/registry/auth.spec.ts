import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFromDockerConfig, loadDockerConfig, parseChallenges, TokenCache } from './auth.js';
import { isLoopbackRegistry, RegistryClient } from './client.js';
import { retryAfterMs } from './errors.js';

test('parseChallenges reads Bearer and Basic parameters with quoting', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges('Bearer realm="a\\"b", error=insufficient_scope'), [{ scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } }]);
});

test('credentialsFromDockerConfig decodes auth, prefers username/password and maps Docker Hub', () => {
  const m = credentialsFromDockerConfig({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
      'registry.example.com:5000': { username: 'u', password: 'p' },
      'https://ghcr.io': { auth: Buffer.from('g:h').toString('base64') },
      'empty.io': {},
    },
  });
  assert.deepEqual(m.get('docker.io'), { username: 'hub', password: 'pw:with:colons' });
  assert.deepEqual(m.get('registry.example.com:5000'), { username: 'u', password: 'p' });
  assert.deepEqual(m.get('ghcr.io'), { username: 'g', password: 'h' });
  assert.equal(m.has('empty.io'), false);
  assert.throws(() => credentialsFromDockerConfig({ auths: { 'x.io': { auth: Buffer.from('nocolon').toString('base64') } } }), /for "x.io": auth is not base64 of "username:password"/);
  assert.throws(() => credentialsFromDockerConfig(null), /not a JSON object/);
});

test('TokenCache expires tokens 10 s early and honours issued_at', () => {
  let now = 1_000_000;
  const c = new TokenCache(() => now);
  c.set('r', 's', 'tok', 300);
  assert.equal(c.get('r', 's'), 'tok');
  now += 289_000;
  assert.equal(c.get('r', 's'), 'tok');
  now += 2_000;
  assert.equal(c.get('r', 's'), undefined);
  c.set('r', 's', 'old', 60, new Date(now - 55_000).toISOString());
  assert.equal(c.get('r', 's'), undefined, 'issued 55 s ago with 60 s life: inside the 10 s margin');
});

test('loopback registries and the insecure list use plain HTTP; others HTTPS; docker.io maps to registry-1', () => {
  for (const r of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost']) assert.equal(isLoopbackRegistry(r), true, r);
  for (const r of ['example.com', '10.0.0.1:5000', '128.0.0.1']) assert.equal(isLoopbackRegistry(r), false, r);
  const c = new RegistryClient({ insecureRegistries: ['10.0.0.1:5000'] });
  assert.equal(c.baseUrl('127.0.0.1:5000').href, 'http://127.0.0.1:5000/v2/');
  assert.equal(c.baseUrl('10.0.0.1:5000').href, 'http://10.0.0.1:5000/v2/');
  assert.equal(c.baseUrl('example.com').href, 'https://example.com/v2/');
  assert.equal(c.baseUrl('docker.io').href, 'https://registry-1.docker.io/v2/');
});

test('retryAfterMs reads seconds and HTTP dates', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(retryAfterMs('soon'), undefined);
});

test('loadDockerConfig reads a file, treats a missing one as empty and names a broken one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-dockercfg-'));
  try {
    assert.equal((await loadDockerConfig(join(dir, 'missing.json'))).size, 0);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'r.io': { username: 'a', password: 'b' } } }));
    assert.deepEqual((await loadDockerConfig(join(dir, 'config.json'))).get('r.io'), { username: 'a', password: 'b' });
    await writeFile(join(dir, 'bad.json'), '{');
    await assert.rejects(loadDockerConfig(join(dir, 'bad.json')), new RegExp(`failed to parse registry credentials ${join(dir, 'bad.json')}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
