import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module.js';
import { PlacementRepository } from './placement.repository.js';
import { PLACEMENT_OPTIONS, PlacementService, type PlacementOptions } from './placement.service.js';

@Module({
  imports: [AssignmentsModule],
  providers: [PlacementRepository, PlacementService, { provide: PLACEMENT_OPTIONS, useValue: { intervalMs: 30_000, settleMs: 1000 } satisfies PlacementOptions }],
  exports: [PlacementService],
})
export class PlacementModule {}
