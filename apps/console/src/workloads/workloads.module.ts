import { Module } from '@nestjs/common';
import { WorkloadsHttpController } from './workloads.http.controller.js';
import { WorkloadsRepository } from './workloads.repository.js';
import { WorkloadsService } from './workloads.service.js';

@Module({ providers: [WorkloadsRepository, WorkloadsService], controllers: [WorkloadsHttpController], exports: [WorkloadsRepository, WorkloadsService] })
export class WorkloadsModule {}
