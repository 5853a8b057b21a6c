import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../testing/test-app.js';
import { EventsService } from './events.service.js';

test('events(rest): newest first, filtered, paginated; join tokens and registry credentials never return secrets', async () => {
  const t = await startTestApp();
  try {
    const viewer = await t.tokenFor('viewer');
    const op = await t.tokenFor('operator');
    const events = t.app.get(EventsService);
    for (let i = 0; i < 5; i++) await events.record({ type: i === 4 ? 'Warning' : 'Normal', reason: `R${i}`, message: `m${i}`, objectKind: 'workload', objectId: i % 2 ? 'w1' : 'w2' });
    const page1 = await t.call('GET', '/api/v1/events?kind=workload&limit=2', { token: viewer });
    assert.deepEqual(page1.body.items.map((e: { reason: string }) => e.reason), ['R4', 'R3']);
    const page2 = await t.call('GET', `/api/v1/events?kind=workload&limit=2&cursor=${page1.body.nextCursor}`, { token: viewer });
    assert.deepEqual(page2.body.items.map((e: { reason: string }) => e.reason), ['R2', 'R1']);
    const warn = await t.call('GET', '/api/v1/events?type=Warning', { token: viewer });
    assert.deepEqual(warn.body.items.map((e: { reason: string }) => e.reason), ['R4']);
    assert.equal((await t.call('GET', `/api/v1/events?cursor=${Buffer.from('x').toString('base64url')}`, { token: viewer })).status, 400);

    // Join tokens: admin only; secret once; revoke.
    assert.equal((await t.call('POST', '/api/v1/join-tokens', { token: op, body: {} })).status, 403);
    const jt = await t.call('POST', '/api/v1/join-tokens', { token: t.adminToken, body: { description: 'rack 1', maxUses: 1 } });
    assert.equal(jt.status, 201);
    assert.match(jt.body.token, /^berthjoin_/);
    const jl = await t.call('GET', '/api/v1/join-tokens', { token: t.adminToken });
    assert.equal(jl.body.items.length, 1);
    assert.equal(jl.body.items[0].token, undefined);
    assert.equal(jl.body.items[0].tokenHash, undefined);
    const { JoinTokensService } = await import('../join-tokens/join-tokens.service.js');
    const js = t.app.get(JoinTokensService);
    assert.deepEqual(await js.consume('berthjoin_forged', new Date()), { ok: false, reason: 'unknown' });
    assert.deepEqual(await js.consume(jt.body.token, new Date()), { ok: true, tokenId: jt.body.id });
    assert.deepEqual(await js.consume(jt.body.token, new Date()), { ok: false, reason: 'exhausted' });
    const jt2 = await t.call('POST', '/api/v1/join-tokens', { token: t.adminToken, body: {} });
    assert.deepEqual(await js.consume(jt2.body.token, new Date(Date.now() + 2 * 86400_000)), { ok: false, reason: 'expired' });
    assert.ok((await t.call('DELETE', `/api/v1/join-tokens/${jt2.body.id}`, { token: t.adminToken })).body.revokedAt);
    assert.deepEqual(await js.consume(jt2.body.token, new Date()), { ok: false, reason: 'revoked' });

    // Registry credentials: encrypted at rest, listed without secrets, duplicate name 409.
    const rc = await t.call('POST', '/api/v1/registry-credentials', { token: op, body: { name: 'hub', registry: '127.0.0.1:5000', username: 'u', password: 'hunter2-secret' } });
    assert.equal(rc.status, 201);
    assert.equal(rc.body.password, undefined);
    assert.equal((await t.call('POST', '/api/v1/registry-credentials', { token: op, body: { name: 'hub', registry: 'r.io', username: 'u', password: 'p' } })).status, 409);
    const { DatabaseService } = await import('../database/database.service.js');
    const raw = await t.app.get(DatabaseService).prisma.registryCredential.findUniqueOrThrow({ where: { name: 'hub' } });
    assert.equal(Buffer.from(raw.secretEnc).includes(Buffer.from('hunter2-secret')), false);
    const { RegistryCredentialsService } = await import('../registry-credentials/registry-credentials.service.js');
    const resolved = await t.app.get(RegistryCredentialsService).resolve('127.0.0.1:5000');
    assert.equal(resolved[0]?.password, 'hunter2-secret');
    const listed = await t.call('GET', '/api/v1/registry-credentials', { token: viewer });
    assert.deepEqual(Object.keys(listed.body.items[0]).sort(), ['createdAt', 'id', 'name', 'registry', 'revision', 'updatedAt', 'username']);
    assert.equal((await t.call('DELETE', '/api/v1/registry-credentials/hub', { token: op })).status, 204);
  } finally {
    await t.close();
  }
});
