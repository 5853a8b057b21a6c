import { z } from 'zod';
import { labelsSchema } from '../../common/validation.js';

export const patchNodeSchema = z.strictObject({
  revision: z.number().int().positive().optional(),
  /** Replaces the whole label set. */
  labels: labelsSchema,
});

export const nodeActionSchema = z.strictObject({ revision: z.number().int().positive().optional() });

export const listNodesQuery = z.object({
  labelSelector: z.string().max(1024).optional(),
  status: z.enum(['Ready', 'NotReady', 'Unknown']).optional(),
});
