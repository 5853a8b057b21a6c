import type { Role } from '../auth/roles.js';

export interface ApiToken {
  id: string;
  userId: string;
  username: string;
  name: string;
  /** The most the token may do; the owner's current role caps it further at use. */
  role: Role;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revision: number;
  createdAt: Date;
}

/** Returned once, at creation: the only time the secret is visible. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

export interface NewApiToken {
  name: string;
  /** Default: the owner's role. */
  role?: Role;
  /** Owner; default: the caller. Only admins may name someone else. */
  username?: string;
  /** Lifetime in seconds; omitted = no expiry. */
  expiresInSeconds?: number;
}
