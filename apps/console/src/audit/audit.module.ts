import { Global, Module } from '@nestjs/common';
import { AuditHttpController } from './audit.http.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

@Global()
@Module({ providers: [AuditRepository, AuditService, AuditInterceptor], controllers: [AuditHttpController], exports: [AuditService, AuditInterceptor] })
export class AuditModule {}
