import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseService } from '../database/database.service.js';
import { startTestApp } from '../testing/test-app.js';

interface TokenBody {
  id: string;
  name: string;
  username: string;
  role: string;
  token?: string;
}

test('tokens(rest): every role mints its own tokens up to its role; a token cannot mint above itself', async () => {
  const t = await startTestApp();
  try {
    const viewer = await t.tokenFor('viewer', 'vera');
    const operator = await t.tokenFor('operator', 'otto');

    const own = await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'ci', expiresInSeconds: 3600 } });
    assert.equal(own.status, 201);
    assert.deepEqual([own.body.username, own.body.role], ['vera', 'viewer']);
    assert.match(own.body.token, /^berth_/);
    const me = await t.call('GET', '/api/v1/auth/me', { token: own.body.token });
    assert.deepEqual([me.status, me.body.username, me.body.role, me.body.via], [200, 'vera', 'viewer', 'token']);

    const above = await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'up', role: 'operator' } });
    assert.equal(above.status, 403);
    assert.equal(above.body.code, 'token_role_too_high');
    assert.match(above.body.message, /role operator: the caller's role is viewer/);
    const badRole = await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'x', role: 'root' } });
    assert.equal(badRole.status, 400);
    assert.equal(badRole.body.errors[0].path, 'role');

    // An operator's viewer token acts as a viewer and cannot mint an operator token.
    const narrow = await t.call('POST', '/api/v1/tokens', { token: operator, body: { name: 'read-only', role: 'viewer' } });
    assert.deepEqual([narrow.status, narrow.body.role], [201, 'viewer']);
    assert.equal((await t.call('POST', '/api/v1/workloads', { token: narrow.body.token, body: { name: 'w', spec: { image: 'x:1' } } })).status, 403);
    const viaToken = await t.call('POST', '/api/v1/tokens', { token: narrow.body.token, body: { name: 'escalate', role: 'operator' } });
    assert.equal(viaToken.status, 403);
    assert.equal(viaToken.body.code, 'token_role_too_high');
    const defaulted = await t.call('POST', '/api/v1/tokens', { token: narrow.body.token, body: { name: 'child' } });
    assert.deepEqual([defaulted.status, defaulted.body.role, defaulted.body.username], [201, 'viewer', 'otto'], 'a token mints at most its own role by default');

    // Only admins name another owner; the owner's role caps what an admin may give.
    const forOther = await t.call('POST', '/api/v1/tokens', { token: operator, body: { name: 'x', username: 'vera' } });
    assert.equal(forOther.status, 403);
    const adminForVera = await t.call('POST', '/api/v1/tokens', { token: t.adminToken, body: { name: 'given', username: 'vera' } });
    assert.deepEqual([adminForVera.status, adminForVera.body.role], [201, 'viewer']);
    const tooHighForOwner = await t.call('POST', '/api/v1/tokens', { token: t.adminToken, body: { name: 'given-2', username: 'vera', role: 'admin' } });
    assert.equal(tooHighForOwner.status, 400);
    assert.equal(tooHighForOwner.body.errors[0].path, 'role');
  } finally {
    await t.close();
  }
});

test('tokens(rest): non-admins list and revoke only their own; admins all (?user=); revoked and expired tokens get 401; audited', async () => {
  const t = await startTestApp();
  try {
    const viewer = await t.tokenFor('viewer', 'vera');
    const operator = await t.tokenFor('operator', 'otto');
    const mine = await t.call('POST', '/api/v1/tokens', { token: operator, body: { name: 'mine' } });
    assert.equal(mine.status, 201);
    const veras = await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'veras' } });

    const opList = await t.call('GET', '/api/v1/tokens', { token: operator });
    assert.equal(opList.status, 200);
    assert.deepEqual(opList.body.items.map((x: TokenBody) => x.username).sort(), ['otto', 'otto'], 'the one test-app gave otto and the one otto made');
    assert.ok(opList.body.items.every((x: TokenBody) => x.token === undefined));
    assert.equal((await t.call('GET', '/api/v1/tokens?user=vera', { token: operator })).status, 403);

    const all = await t.call('GET', '/api/v1/tokens', { token: t.adminToken });
    assert.deepEqual([...new Set(all.body.items.map((x: TokenBody) => x.username))].sort(), ['admin', 'otto', 'vera']);
    const onlyVera = await t.call('GET', '/api/v1/tokens?user=vera', { token: t.adminToken });
    assert.deepEqual(onlyVera.body.items.map((x: TokenBody) => x.name).sort(), ['t-vera', 'veras']);
    assert.equal((await t.call('GET', '/api/v1/tokens?user=nobody', { token: t.adminToken })).status, 404);

    // Another user's token is not found for a non-admin, and stays valid.
    const foreign = await t.call('DELETE', `/api/v1/tokens/${veras.body.id}`, { token: operator });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, 'token_not_found');
    assert.equal((await t.call('GET', '/api/v1/auth/me', { token: veras.body.token })).status, 200);

    const revoked = await t.call('DELETE', `/api/v1/tokens/${mine.body.id}`, { token: operator });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const refused = await t.call('GET', '/api/v1/auth/me', { token: mine.body.token });
    assert.deepEqual([refused.status, refused.body.code], [401, 'token_revoked']);
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${veras.body.id}`, { token: t.adminToken })).status, 200, 'admins revoke anyone\'s');

    const short = await t.call('POST', '/api/v1/tokens', { token: viewer, body: { name: 'short', expiresInSeconds: 60 } });
    await t.app.get(DatabaseService).prisma.apiToken.update({ where: { id: short.body.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await t.call('GET', '/api/v1/tokens', { token: short.body.token });
    assert.deepEqual([expired.status, expired.body.code], [401, 'token_expired']);

    const audit = await t.call('GET', '/api/v1/audit?kind=token', { token: t.adminToken });
    const rows = audit.body.items.map((r: { action: string; actorName: string; objectId: string; details: { outcome: string } }) => [r.action, r.actorName, r.objectId, r.details.outcome]);
    for (const want of [
      ['token.create', 'otto', mine.body.id, 'ok'],
      ['token.create', 'vera', veras.body.id, 'ok'],
      ['token.revoke', 'otto', veras.body.id, 'token_not_found'],
      ['token.revoke', 'otto', mine.body.id, 'ok'],
      ['token.revoke', 'admin', veras.body.id, 'ok'],
    ]) assert.ok(rows.some((r: string[]) => JSON.stringify(r) === JSON.stringify(want)), `audit has ${JSON.stringify(want)}`);
  } finally {
    await t.close();
  }
});
