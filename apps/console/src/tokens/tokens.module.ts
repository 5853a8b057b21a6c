import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { TokensHttpController } from './tokens.http.controller.js';
import { TokensRepository } from './tokens.repository.js';
import { TokensService } from './tokens.service.js';

@Module({ imports: [UsersModule], providers: [TokensRepository, TokensService], controllers: [TokensHttpController], exports: [TokensRepository] })
export class TokensModule {}
