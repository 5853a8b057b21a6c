import { Inject, Injectable } from '@nestjs/common';
import { notFound, revisionConflict } from '../common/errors.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import { hashPassword, generatePassword } from '../auth/passwords.js';
import type { Role } from '../auth/roles.js';
import { UsersRepository, withoutHash } from './users.repository.js';
import { lastAdmin } from './users.errors.js';
import type { User, UserPatch, UserWithHash } from './users.types.js';

/** What the service needs from storage (the repository, or a fake in unit tests). */
export type UsersStore = Pick<UsersRepository, 'create' | 'findByName' | 'findById' | 'list' | 'countEnabledAdmins' | 'updateIfRevision' | 'delete'>;

export interface UserUpdate {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

@Injectable()
export class UsersService {
  constructor(@Inject(UsersRepository) private readonly repo: UsersStore) {}

  async create(username: string, password: string, role: Role): Promise<User> {
    return withoutHash(await this.repo.create(username, await hashPassword(password), role));
  }

  async get(username: string): Promise<User> {
    return withoutHash(await this.mustFind(username));
  }

  async list(page: PageRequest): Promise<Page<User>> {
    const p = toPage(await this.repo.list(page), page.limit, (u) => u.username);
    return { ...p, items: p.items.map(withoutHash) };
  }

  async update(username: string, revision: number, change: UserUpdate): Promise<User> {
    const cur = await this.mustFind(username);
    if (cur.revision !== revision) throw revisionConflict('user', username, revision, cur.revision);
    const demotes = cur.role === 'admin' && !cur.disabled && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (demotes && (await this.repo.countEnabledAdmins()) <= 1) throw lastAdmin(username);
    const patch: UserPatch = {};
    if (change.role !== undefined) patch.role = change.role;
    if (change.disabled !== undefined) patch.disabled = change.disabled;
    if (change.password !== undefined) patch.passwordHash = await hashPassword(change.password);
    const updated = await this.repo.updateIfRevision(username, revision, patch);
    if (!updated) throw revisionConflict('user', username, revision, (await this.mustFind(username)).revision);
    return withoutHash(updated);
  }

  async delete(username: string): Promise<void> {
    const cur = await this.mustFind(username);
    if (cur.role === 'admin' && !cur.disabled && (await this.repo.countEnabledAdmins()) <= 1) throw lastAdmin(username);
    if (!(await this.repo.delete(username))) throw notFound('user', username);
  }

  /**
   * First start: create `admin` unless some user exists. Returns the generated password
   * when none was given (the caller prints it once), or undefined when nothing was created.
   */
  async ensureInitialAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.repo.list({ limit: 1 })).length > 0) return { created: false };
    const pw = password ?? generatePassword();
    try {
      await this.repo.create('admin', await hashPassword(pw), 'admin');
    } catch (err) {
      // Another replica won the race.
      if ((err as { code?: string }).code === 'user_exists') return { created: false };
      throw err;
    }
    return password === undefined ? { created: true, generatedPassword: pw } : { created: true };
  }

  private async mustFind(username: string): Promise<UserWithHash> {
    const u = await this.repo.findByName(username);
    if (!u) throw notFound('user', username);
    return u;
  }
}
