export interface JoinToken {
  id: string;
  description: string;
  expiresAt: Date;
  maxUses: number | null;
  usedCount: number;
  revokedAt: Date | null;
  createdBy: string | null;
  revision: number;
  createdAt: Date;
}

export interface CreatedJoinToken extends JoinToken {
  /** The secret an agent presents to register; shown once. */
  token: string;
}

export type JoinTokenRejection = 'unknown' | 'expired' | 'revoked' | 'exhausted';
