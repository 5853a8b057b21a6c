import { Inject, Injectable } from '@nestjs/common';
import type { FleetEvent as AgentFleetEvent, FleetEventSource } from '../agents/ports.js';
import { FleetEvents } from '../fleet/fleet-events.js';

/**
 * Adapts the console's FleetEvents to the agents' FleetEventSource: assignment changes go to
 * the node they are on; a deleted or revoked node's connection is told to end.
 */
@Injectable()
export class FleetEventSourceBridge implements FleetEventSource {
  constructor(@Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'subscribe'>) {}

  subscribe(listener: (event: AgentFleetEvent) => void): () => void {
    return this.fleet.subscribe((e) => {
      if (e.kind === 'assignment' && e.nodeId !== undefined) listener({ kind: 'assignment', nodeId: e.nodeId, revision: e.revision });
      else if (e.kind === 'node' && (e.removed || e.revoked)) listener({ kind: 'node-revoked', nodeId: e.id });
    });
  }
}
