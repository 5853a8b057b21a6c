export interface AuditRecord {
  id: number;
  actorId: string | null;
  actorName: string;
  action: string;
  objectKind: string;
  objectId: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export type NewAuditRecord = Omit<AuditRecord, 'id' | 'createdAt'>;

export interface AuditFilter {
  actorName?: string;
  objectKind?: string;
  objectId?: string;
  action?: string;
}
