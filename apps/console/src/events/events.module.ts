import { Global, Module } from '@nestjs/common';
import { EventsHttpController } from './events.http.controller.js';
import { EventsRepository } from './events.repository.js';
import { EventsService } from './events.service.js';

/** Global so the scheduler and agents modules can record events. */
@Global()
@Module({ providers: [EventsRepository, EventsService], controllers: [EventsHttpController], exports: [EventsService] })
export class EventsModule {}
