export interface ApiToken {
  id: string;
  userId: string;
  username: string;
  name: string;
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
