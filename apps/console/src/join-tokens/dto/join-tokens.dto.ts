import { z } from 'zod';

export const createJoinTokenSchema = z.strictObject({
  description: z.string().max(256).default(''),
  /** Lifetime in seconds (default one day, at most a year). */
  ttlSeconds: z.number().int().min(60).max(365 * 86400).default(86400),
  /** Registrations allowed; omitted = unlimited until expiry. */
  maxUses: z.number().int().min(1).max(100_000).optional(),
});
