import { z } from 'zod';
import { labelsSchema, nameSchema } from '../../common/validation.js';
import { workloadSpecSchema } from './workload-spec.dto.js';

const replicas = z.number().int().min(0, 'must not be negative').max(10_000);
const revision = z.number().int().positive();

export const createWorkloadSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema.default({}),
  replicas: replicas.default(1),
  spec: workloadSpecSchema,
});

/** Full replacement; `revision` (or If-Match) is the revision the client read. */
export const updateWorkloadSchema = z.strictObject({
  revision: revision.optional(),
  labels: labelsSchema.optional(),
  replicas: replicas.optional(),
  spec: workloadSpecSchema,
});

export const scaleSchema = z.strictObject({ replicas, revision: revision.optional() });

export const rollbackSchema = z.strictObject({
  /** The workload revision number (1, 2, ...) whose spec becomes current again. */
  toRevision: z.number().int().positive(),
  revision: revision.optional(),
});

export const listWorkloadsQuery = z.object({
  labelSelector: z.string().max(1024).optional(),
});
