import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleError } from '../common/errors.js';
import { hashPassword, sha256 } from './passwords.js';
import { AuthService, readCookie, type SessionsStore, type TokenLookup, type UserLookup } from './auth.service.js';
import type { UserWithHash } from '../users/users.types.js';
import type { ApiToken } from '../tokens/tokens.types.js';

async function setup() {
  const user: UserWithHash = { id: 'u1', username: 'ann', role: 'operator', disabled: false, revision: 1, createdAt: new Date(), updatedAt: new Date(), passwordHash: await hashPassword('correct-horse') };
  const sessions = new Map<string, { session: { id: string; userId: string; expiresAt: Date }; user: UserWithHash }>();
  const tokens = new Map<string, { token: ApiToken; user: UserWithHash }>();
  const users: UserLookup = { findByName: async (n) => (n === user.username ? user : undefined) };
  const sessionStore: SessionsStore = {
    create: async (userId, hash, expiresAt) => {
      const s = { id: hash.slice(0, 8), userId, expiresAt };
      sessions.set(hash, { session: s, user });
      return s;
    },
    findByHash: async (h) => sessions.get(h),
    deleteByHash: async (h) => void sessions.delete(h),
  };
  const tokenLookup: TokenLookup = { findByHash: async (h) => tokens.get(h), touch: async () => undefined };
  const auth = new AuthService(users, sessionStore, tokenLookup, { sessionTtlSeconds: 3600 });
  const addToken = (secret: string, t: Partial<ApiToken>) =>
    tokens.set(sha256(secret), { token: { id: 't', userId: 'u1', username: 'ann', name: 'n', role: 'operator', expiresAt: null, lastUsedAt: null, revokedAt: null, revision: 1, createdAt: new Date(), ...t }, user });
  return { auth, user, sessions, addToken };
}

const code = (c: string) => (e: ConsoleError) => e.code === c;

test('AuthService.login: stores only the hash of the session secret; wrong password and unknown user look alike', async () => {
  const { auth, sessions } = await setup();
  const r = await auth.login('ann', 'correct-horse', new Date(0));
  assert.equal(r.expiresAt.getTime(), 3600_000);
  assert.ok(sessions.has(sha256(r.secret)));
  assert.ok(![...sessions.keys()].includes(r.secret));
  await assert.rejects(auth.login('ann', 'wrong'), code('invalid_credentials'));
  await assert.rejects(auth.login('nobody', 'wrong'), code('invalid_credentials'));
});

test('AuthService: sessions expire; tokens are refused when unknown, expired, revoked, or the user is disabled', async () => {
  const { auth, user, addToken } = await setup();
  const s = await auth.login('ann', 'correct-horse', new Date(0));
  assert.equal((await auth.authenticateSession(s.secret, new Date(1000))).username, 'ann');
  await assert.rejects(auth.authenticateSession(s.secret, new Date(3600_001)), code('session_expired'));
  await assert.rejects(auth.authenticateSession(s.secret, new Date(1000)), code('invalid_token'));

  addToken('good', {});
  addToken('old', { expiresAt: new Date(5) });
  addToken('gone', { revokedAt: new Date(1) });
  const actor = await auth.authenticateToken('good', new Date(10));
  assert.deepEqual([actor.username, actor.role, actor.via], ['ann', 'operator', 'token']);
  await assert.rejects(auth.authenticateToken('forged', new Date(10)), code('invalid_token'));
  await assert.rejects(auth.authenticateToken('old', new Date(10)), code('token_expired'));
  await assert.rejects(auth.authenticateToken('gone', new Date(10)), code('token_revoked'));
  user.disabled = true;
  await assert.rejects(auth.authenticateToken('good', new Date(10)), code('user_disabled'));
});

test('AuthService.authenticateToken: the actor gets the lower of the token role and the owner role', async () => {
  const { auth, user, addToken } = await setup();
  addToken('narrow', { role: 'viewer' });
  addToken('wide', { role: 'admin' });
  assert.equal((await auth.authenticateToken('narrow', new Date(10))).role, 'viewer');
  assert.equal((await auth.authenticateToken('wide', new Date(10))).role, 'operator', 'an operator owner caps an admin token');
  user.role = 'viewer';
  assert.equal((await auth.authenticateToken('wide', new Date(10))).role, 'viewer', 'demoting the owner demotes its tokens');
});

test('readCookie: finds one cookie among several, tolerates quotes, ignores bad encoding', () => {
  assert.equal(readCookie('a=1; berth_session=xyz; b=2', 'berth_session'), 'xyz');
  assert.equal(readCookie('berth_session="q"', 'berth_session'), 'q');
  assert.equal(readCookie('x_berth_session=1', 'berth_session'), undefined);
  assert.equal(readCookie('berth_session=%E0%A4%A', 'berth_session'), undefined);
  assert.equal(readCookie(undefined, 'berth_session'), undefined);
});
