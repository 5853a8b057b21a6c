import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageError } from '../errors.js';
import { addImage, withEnv } from '../fake-env.test-helper.js';
import { mapLimit, pullImage } from '../pull.js';
import { RegistryClient } from './client.js';

const fast = { retries: 2, backoffMs: 1, timeoutMs: 5000 };

test('a registry that never answers fails with unavailable after the per-request timeout and retries', () =>
  withEnv({}, async (reg, store) => {
    addImage(reg, 'r/h', 't', ['l']);
    reg.faults.hang = 10;
    const t0 = Date.now();
    await assert.rejects(pullImage(`${reg.host}/r/h:t`, { store, registry: { retries: 1, backoffMs: 1, timeoutMs: 150 } }), (e: unknown) =>
      e instanceof ImageError && e.code === 'unavailable' && /no response within 150 ms/.test(e.message) && /after 2 attempts/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 300);
  }));

test('a body that ends early without error is retried and resumed with Range', () =>
  withEnv({}, async (reg, store) => {
    const img = addImage(reg, 'r/t', 't', ['y'.repeat(50_000)]);
    await store.content.put(reg.blobs.get(img.cfg.digest) ?? Buffer.alloc(0));
    reg.faults.truncate = 1;
    await pullImage(`${reg.host}/r/t:t`, { store, registry: fast });
    const gets = reg.log.filter((l) => l.method === 'GET' && l.url.endsWith(img.layers[0]?.digest ?? '?'));
    assert.equal(gets.length, 2);
    assert.equal(gets[1]?.range, 'bytes=25000-');
  }));

test('Retry-After on 429 is honoured before retrying', () =>
  withEnv({}, async (reg) => {
    reg.faults.tooMany = 1;
    reg.faults.retryAfter = '1';
    const client = new RegistryClient({ retries: 1, backoffMs: 1 });
    const t0 = Date.now();
    assert.equal((await client.ping(reg.host)).status, 200);
    const waited = Date.now() - t0;
    assert.ok(waited >= 1000 && waited < 3000, `waited ${waited} ms for Retry-After: 1`);
  }));

test('a revoked bearer token is replaced after the registry answers 401 again', () =>
  withEnv({ auth: 'bearer' }, async (reg, store) => {
    addImage(reg, 'r/a', 'one', ['l1']);
    addImage(reg, 'r/a', 'two', ['l2']);
    const client = new RegistryClient(fast);
    await pullImage(`${reg.host}/r/a:one`, { store, registry: client });
    reg.tokensIssued.length = 0;
    await pullImage(`${reg.host}/r/a:two`, { store, registry: client });
    assert.equal(reg.log.filter((l) => l.url.startsWith('/token')).length, 2);
  }));

test('ping with a bearer registry obtains a token like docker login and reports 200', () =>
  withEnv({ auth: 'bearer', username: 'u', password: 'p' }, async (reg) => {
    const anon = new RegistryClient(fast);
    await assert.rejects(anon.ping(reg.host), (e: unknown) => e instanceof ImageError && e.code === 'unauthorized');
    const client = new RegistryClient({ ...fast, credentials: new Map([[reg.host, { username: 'u', password: 'p' }]]) });
    assert.equal((await client.ping(reg.host)).status, 200);
  }));

test('mapLimit never runs more than the limit at once and keeps result order', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([50, 10, 30, 20, 40, 5, 15], 3, async (ms) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    return ms * 2;
  });
  assert.equal(peak, 3);
  assert.deepEqual(out, [100, 20, 60, 40, 80, 10, 30]);
  await assert.rejects(mapLimit([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; }), /boom/);
});
