import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../common/errors.js';
import { verifyPassword } from '../auth/passwords.js';
import { UsersService, type UsersStore } from './users.service.js';
import type { UserPatch, UserWithHash } from './users.types.js';
import type { Role } from '../auth/roles.js';

class FakeUsers implements UsersStore {
  seq = 0;
  rows = new Map<string, UserWithHash>();
  async create(username: string, passwordHash: string, role: Role) {
    if (this.rows.has(username)) throw new ConsoleError('user_exists', 'already_exists', 'taken');
    const u: UserWithHash = { id: `u${++this.seq}`, username, passwordHash, role, disabled: false, revision: this.seq, createdAt: new Date(), updatedAt: new Date() };
    this.rows.set(username, u);
    return { ...u };
  }
  async findByName(n: string) {
    return this.rows.get(n);
  }
  async findById(id: string) {
    return [...this.rows.values()].find((u) => u.id === id);
  }
  async list(p: { limit: number; after?: string }) {
    return [...this.rows.values()].filter((u) => p.after === undefined || u.username > p.after).slice(0, p.limit + 1);
  }
  async countEnabledAdmins() {
    return [...this.rows.values()].filter((u) => u.role === 'admin' && !u.disabled).length;
  }
  async updateIfRevision(n: string, revision: number, patch: UserPatch) {
    const u = this.rows.get(n);
    if (!u || u.revision !== revision) return undefined;
    const next = { ...u, ...patch, revision: ++this.seq };
    this.rows.set(n, next);
    return next;
  }
  async delete(n: string) {
    return this.rows.delete(n);
  }
}

test('UsersService: first start creates admin with a generated password once, never again', async () => {
  const repo = new FakeUsers();
  const svc = new UsersService(repo);
  const first = await svc.ensureInitialAdmin(undefined);
  assert.equal(first.created, true);
  assert.ok(first.generatedPassword && first.generatedPassword.length >= 20);
  assert.ok(await verifyPassword(first.generatedPassword, repo.rows.get('admin')!.passwordHash));
  assert.deepEqual(await svc.ensureInitialAdmin(undefined), { created: false });
  const given = await new UsersService(new FakeUsers()).ensureInitialAdmin('chosen-password');
  assert.deepEqual(given, { created: true });
});

test('UsersService: the last enabled admin cannot be demoted, disabled or deleted; results never carry the hash', async () => {
  const repo = new FakeUsers();
  const svc = new UsersService(repo);
  const admin = await svc.create('root', 'password-1', 'admin');
  assert.equal((admin as unknown as Record<string, unknown>)['passwordHash'], undefined);
  await assert.rejects(svc.update('root', admin.revision, { role: 'viewer' }), (e: ConsoleError) => e.code === 'last_admin');
  await assert.rejects(svc.update('root', admin.revision, { disabled: true }), (e: ConsoleError) => e.code === 'last_admin');
  await assert.rejects(svc.delete('root'), (e: ConsoleError) => e.code === 'last_admin');
  await svc.create('second', 'password-2', 'admin');
  const demoted = await svc.update('root', admin.revision, { role: 'operator', password: 'new-password' });
  assert.equal(demoted.role, 'operator');
  assert.ok(await verifyPassword('new-password', repo.rows.get('root')!.passwordHash));
  await assert.rejects(svc.update('root', admin.revision, { role: 'viewer' }), (e: ConsoleError) => e.code === 'revision_conflict');
});
