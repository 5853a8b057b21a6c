import { SetMetadata } from '@nestjs/common';

export const AUDITED = 'berth:audited';

export interface AuditSpec {
  /** e.g. `workload.create` */
  action: string;
  /** e.g. `workload` */
  objectKind: string;
  /** Route parameter naming the object; else the response's `id`/`name`. */
  param?: string;
}

/** Marks a mutating route with the action recorded in the audit log. */
export const Audited = (action: string, objectKind: string, param?: string) =>
  SetMetadata(AUDITED, param === undefined ? { action, objectKind } : { action, objectKind, param });
