import { Module } from '@nestjs/common';
import { UsersHttpController } from './users.http.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({ providers: [UsersRepository, UsersService], controllers: [UsersHttpController], exports: [UsersRepository, UsersService] })
export class UsersModule {}
