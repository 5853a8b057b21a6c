export type EventType = 'Normal' | 'Warning';

export interface FleetRecordedEvent {
  id: number;
  type: EventType;
  reason: string;
  message: string;
  objectKind: string;
  objectId: string;
  createdAt: Date;
}

export type NewEvent = Omit<FleetRecordedEvent, 'id' | 'createdAt'>;

export interface EventFilter {
  objectKind?: string;
  objectId?: string;
  type?: EventType;
}
