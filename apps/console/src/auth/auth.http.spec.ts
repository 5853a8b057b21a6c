import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, startTestApp } from '../testing/test-app.js';

test('auth(rest): login sets an HttpOnly session cookie that authenticates, logout ends it', async () => {
  const t = await startTestApp();
  try {
    const bad = await t.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'wrong-password' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, 'invalid_credentials');
    const ok = await t.call('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    assert.equal(ok.status, 200);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^berth_session=berths_[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const me = await t.call('GET', '/api/v1/auth/me', { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'admin');
    assert.equal(me.body.role, 'admin');
    assert.equal(me.body.via, 'session');
    assert.equal(me.body.passwordHash, undefined);
    assert.equal((await t.call('POST', '/api/v1/auth/logout', { headers: { cookie } })).status, 204);
    const after = await t.call('GET', '/api/v1/auth/me', { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'invalid_token');
  } finally {
    await t.close();
  }
});

test('auth(rest): no credentials, forged, expired and revoked tokens are refused with distinct codes', async () => {
  const t = await startTestApp();
  try {
    const none = await t.call('GET', '/api/v1/users');
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'unauthenticated');
    const forged = await t.call('GET', '/api/v1/users', { token: 'berth_' + 'A'.repeat(43) });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'invalid_token');
    const malformed = await t.call('GET', '/api/v1/users', { headers: { authorization: 'Basic abc' } });
    assert.equal(malformed.body.code, 'invalid_token');

    const created = await t.call('POST', '/api/v1/tokens', { token: t.adminToken, body: { name: 'short', expiresInSeconds: 60 } });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^berth_/);
    // The secret is shown once: listing never returns it.
    const list = await t.call('GET', '/api/v1/tokens', { token: t.adminToken });
    assert.ok(list.body.items.length >= 2);
    assert.ok(list.body.items.every((x: Record<string, unknown>) => x['token'] === undefined && x['tokenHash'] === undefined));
    assert.equal((await t.call('GET', '/api/v1/auth/me', { token: created.body.token })).status, 200);
    // Expire it in the database and try again.
    const { DatabaseService } = await import('../database/database.service.js');
    await t.app.get(DatabaseService).prisma.apiToken.update({ where: { id: created.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await t.call('GET', '/api/v1/auth/me', { token: created.body.token });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.code, 'token_expired');

    const other = await t.call('POST', '/api/v1/tokens', { token: t.adminToken, body: { name: 'to-revoke' } });
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${other.body.id}`, { token: t.adminToken })).status, 200);
    const revoked = await t.call('GET', '/api/v1/auth/me', { token: other.body.token });
    assert.equal(revoked.body.code, 'token_revoked');
  } finally {
    await t.close();
  }
});

test('auth(rest): viewers read, operators cannot manage users or other users\' tokens, every mutation is audited', async () => {
  const t = await startTestApp();
  try {
    const viewer = await t.tokenFor('viewer', 'vera');
    const operator = await t.tokenFor('operator', 'otto');
    assert.equal((await t.call('GET', '/api/v1/auth/me', { token: viewer })).status, 200);
    const denied = await t.call('POST', '/api/v1/users', { token: operator, body: { username: 'x', password: 'password-1', role: 'viewer' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 'permission_denied');
    assert.equal((await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'theirs', username: 'otto' } })).status, 403);
    assert.equal((await t.call('GET', '/api/v1/users', { token: viewer })).status, 403);
    assert.equal((await t.call('GET', '/api/v1/audit', { token: operator })).status, 403);

    const audit = await t.call('GET', '/api/v1/audit?kind=user', { token: t.adminToken });
    assert.equal(audit.status, 200);
    const creates = audit.body.items.filter((r: { action: string }) => r.action === 'user.create');
    assert.deepEqual(creates.map((r: { objectId: string }) => r.objectId).sort().slice(0, 2), creates.map((r: { objectId: string }) => r.objectId).sort().slice(0, 2));
    assert.equal(creates.length, 2);
    for (const r of creates) {
      assert.equal(r.actorName, 'admin');
      assert.ok(r.requestId);
      assert.equal(r.details.outcome, 'ok');
    }
    const login = await t.call('GET', '/api/v1/audit?action=auth.login', { token: t.adminToken });
    assert.equal(login.body.items[0].actorName, 'admin');
  } finally {
    await t.close();
  }
});
