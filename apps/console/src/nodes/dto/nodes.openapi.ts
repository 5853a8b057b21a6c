import type { ApiResponseSchemaHost } from '@nestjs/swagger';

type SchemaObject = Exclude<ApiResponseSchemaHost['schema'], { $ref: string }>;

const amounts: SchemaObject = { type: 'object', additionalProperties: { type: 'number' } };
const time = (description: string): SchemaObject => ({ type: 'string', format: 'date-time', nullable: true, description });

/** The Node resource as REST returns it (OpenAPI only; the type is nodes.types.ts Node). */
export const nodeResponseSchema: SchemaObject = {
  type: 'object',
  required: ['id', 'name', 'labels', 'status', 'unschedulable', 'draining', 'revokedAt', 'revision'],
  properties: {
    id: { type: 'string', description: "Chosen at registration; the client certificate's CN." },
    name: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    capacity: amounts,
    allocatable: amounts,
    usage: { ...amounts, nullable: true },
    conditions: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' }, lastTransitionAt: { type: 'string' } } } },
    status: { type: 'string', enum: ['Ready', 'NotReady', 'Unknown'] },
    agentVersion: { type: 'string', nullable: true },
    addresses: { type: 'array', items: { type: 'string' } },
    unschedulable: { type: 'boolean' },
    draining: { type: 'boolean' },
    revokedAt: time('Set by POST /nodes/{name}/revoke: the certificate is refused; the node stays listed until deleted.'),
    lastHeartbeatAt: time('Last status report of the agent.'),
    observedRevision: { type: 'integer', nullable: true },
    revision: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

export const nodePageSchema: SchemaObject = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: nodeResponseSchema }, nextCursor: { type: 'string' } },
};
