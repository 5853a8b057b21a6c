import { Global, Module } from '@nestjs/common';
import { FleetEvents } from './fleet-events.js';

@Global()
@Module({ providers: [FleetEvents], exports: [FleetEvents] })
export class FleetModule {}
