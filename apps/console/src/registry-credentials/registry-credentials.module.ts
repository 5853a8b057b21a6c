import { Module } from '@nestjs/common';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/config.js';
import { RegistryCredentialsHttpController } from './registry-credentials.http.controller.js';
import { RegistryCredentialsRepository } from './registry-credentials.repository.js';
import { RegistryCredentialsService } from './registry-credentials.service.js';
import { SecretBox } from './secret-box.js';

@Module({
  providers: [
    { provide: SecretBox, inject: [CONSOLE_CONFIG], useFactory: (c: ConsoleConfig) => SecretBox.fromKeyFile(c.secretKeyFile) },
    RegistryCredentialsRepository,
    RegistryCredentialsService,
  ],
  controllers: [RegistryCredentialsHttpController],
  exports: [RegistryCredentialsService],
})
export class RegistryCredentialsModule {}
