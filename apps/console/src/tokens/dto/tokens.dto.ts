import { z } from 'zod';

export const createTokenSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** Owner; defaults to the caller. */
  username: z.string().min(1).max(100).optional(),
  /** Lifetime in seconds; omitted = no expiry. */
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 86400).optional(),
});
export type CreateTokenInput = z.infer<typeof createTokenSchema>;
