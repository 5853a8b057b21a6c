import { Inject, Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service.js';
import type { RegistryCredential as Row } from '../generated/prisma/client.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { alreadyExists } from '../common/errors.js';
import type { PageRequest } from '../common/pagination.js';
import type { RegistryCredential } from './registry-credentials.types.js';

function toCredential(r: Row): RegistryCredential {
  return { id: r.id, name: r.name, registry: r.registry, username: r.username, revision: Number(r.revision), createdAt: r.createdAt, updatedAt: r.updatedAt };
}

@Injectable()
export class RegistryCredentialsRepository {
  constructor(@Inject(DatabaseService) private readonly db: DatabaseService) {}

  async create(name: string, registry: string, username: string, secretEnc: Buffer): Promise<RegistryCredential> {
    try {
      return toCredential(await this.db.prisma.registryCredential.create({ data: { name, registry, username, secretEnc: new Uint8Array(secretEnc) } }));
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists('registry_credential', name, err);
      throw err;
    }
  }

  async list(page: PageRequest): Promise<RegistryCredential[]> {
    const rows = await this.db.prisma.registryCredential.findMany({ where: page.after ? { name: { gt: page.after } } : {}, orderBy: { name: 'asc' }, take: page.limit + 1 });
    return rows.map(toCredential);
  }

  async findSealed(name: string): Promise<{ credential: RegistryCredential; secretEnc: Uint8Array } | undefined> {
    const r = await this.db.prisma.registryCredential.findUnique({ where: { name } });
    return r ? { credential: toCredential(r), secretEnc: r.secretEnc } : undefined;
  }

  async findSealedByRegistry(registry: string): Promise<{ credential: RegistryCredential; secretEnc: Uint8Array }[]> {
    const rows = await this.db.prisma.registryCredential.findMany({ where: { registry }, orderBy: { name: 'asc' } });
    return rows.map((r) => ({ credential: toCredential(r), secretEnc: r.secretEnc }));
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.prisma.registryCredential.deleteMany({ where: { name } })).count > 0;
  }
}
