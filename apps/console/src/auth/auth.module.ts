import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthGuard } from './auth.guard.js';
import { AuthHttpController } from './auth.http.controller.js';
import { AuthService } from './auth.service.js';
import { SessionsRepository } from './sessions.repository.js';

@Module({
  imports: [UsersModule, TokensModule],
  providers: [SessionsRepository, AuthService, AuthGuard],
  controllers: [AuthHttpController],
  exports: [AuthService, AuthGuard],
})
export class AuthModule {}
