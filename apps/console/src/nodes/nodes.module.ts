import { Module } from '@nestjs/common';
import { NodesHttpController } from './nodes.http.controller.js';
import { NodesRepository } from './nodes.repository.js';
import { NodesService } from './nodes.service.js';

@Module({ providers: [NodesRepository, NodesService], controllers: [NodesHttpController], exports: [NodesRepository, NodesService] })
export class NodesModule {}
