import { Module } from '@nestjs/common';
import { JoinTokensHttpController } from './join-tokens.http.controller.js';
import { JoinTokensRepository } from './join-tokens.repository.js';
import { JoinTokensService } from './join-tokens.service.js';

@Module({ providers: [JoinTokensRepository, JoinTokensService], controllers: [JoinTokensHttpController], exports: [JoinTokensService] })
export class JoinTokensModule {}
