import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';

export const createTokenSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** At most the caller's role (and the owner's); default: the owner's role. */
  role: z.enum(ROLES).optional(),
  /** Owner; defaults to the caller. Only admins may name another user. */
  username: z.string().min(1).max(100).optional(),
  /** Lifetime in seconds; omitted = no expiry. */
  expiresInSeconds: z.number().int().min(60).max(10 * 365 * 86400).optional(),
});
export type CreateTokenInput = z.infer<typeof createTokenSchema>;

export const listTokensQuery = z.object({
  /** Owner filter (admins); non-admins always see only their own tokens. */
  user: z.string().min(1).max(100).optional(),
});
