import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/errors.js';
import { toPage, type Page, type PageRequest } from '../common/pagination.js';
import { RegistryCredentialsRepository } from './registry-credentials.repository.js';
import { SecretBox } from './secret-box.js';
import type { RegistryCredential, ResolvedRegistryCredential } from './registry-credentials.types.js';

export type RegistryCredentialsStore = Pick<RegistryCredentialsRepository, 'create' | 'list' | 'findSealed' | 'findSealedByRegistry' | 'delete'>;

/** Registry pull credentials; passwords are sealed with AES-256-GCM bound to the credential name. */
@Injectable()
export class RegistryCredentialsService {
  constructor(
    @Inject(RegistryCredentialsRepository) private readonly repo: RegistryCredentialsStore,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  create(name: string, registry: string, username: string, password: string): Promise<RegistryCredential> {
    return this.repo.create(name, registry, username, this.box.seal(password, `registry-credential:${name}`));
  }

  async list(page: PageRequest): Promise<Page<RegistryCredential>> {
    return toPage(await this.repo.list(page), page.limit, (c) => c.name);
  }

  async delete(name: string): Promise<void> {
    if (!(await this.repo.delete(name))) throw notFound('registry_credential', name);
  }

  /** Decrypted credentials for a registry host (for agents pulling images). */
  async resolve(registry: string): Promise<ResolvedRegistryCredential[]> {
    const rows = await this.repo.findSealedByRegistry(registry);
    return rows.map((r) => ({ ...r.credential, password: this.box.open(r.secretEnc, `registry-credential:${r.credential.name}`) }));
  }

  async resolveByName(name: string): Promise<ResolvedRegistryCredential> {
    const r = await this.repo.findSealed(name);
    if (!r) throw notFound('registry_credential', name);
    return { ...r.credential, password: this.box.open(r.secretEnc, `registry-credential:${name}`) };
  }
}
