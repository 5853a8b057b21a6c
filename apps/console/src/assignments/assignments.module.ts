import { Module } from '@nestjs/common';
import { NodesModule } from '../nodes/nodes.module.js';
import { WorkloadsModule } from '../workloads/workloads.module.js';
import { AssignmentsHttpController } from './assignments.http.controller.js';
import { AssignmentsRepository } from './assignments.repository.js';
import { AssignmentsService } from './assignments.service.js';

@Module({
  imports: [NodesModule, WorkloadsModule],
  providers: [AssignmentsRepository, AssignmentsService],
  controllers: [AssignmentsHttpController],
  exports: [AssignmentsRepository, AssignmentsService],
})
export class AssignmentsModule {}
