export { RegistryCredentialsModule } from './registry-credentials.module.js';
export { RegistryCredentialsService } from './registry-credentials.service.js';
export { SecretBox } from './secret-box.js';
export type { RegistryCredential, ResolvedRegistryCredential } from './registry-credentials.types.js';
