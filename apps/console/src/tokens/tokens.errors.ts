import { ConsoleError } from '../common/errors.js';
import type { Role } from '../auth/roles.js';

export const TokenErrorCode = {
  roleTooHigh: 'token_role_too_high',
  notOwner: 'permission_denied',
} as const;

export const tokenError = {
  /** The caller (a user, or a token) asked for a role above its own. */
  roleTooHigh: (have: Role, want: Role) =>
    new ConsoleError(
      TokenErrorCode.roleTooHigh,
      'permission_denied',
      `failed to create token with role ${want}: the caller's role is ${have}, and a token may carry at most the role of whoever creates it`,
    ),
  /** An admin asked for a token above the role of the user who will own it. */
  roleAboveOwner: (owner: string, ownerRole: Role, want: Role) =>
    new ConsoleError(
      TokenErrorCode.roleTooHigh,
      'invalid_argument',
      `failed to create token with role ${want}: user ${JSON.stringify(owner)} has role ${ownerRole}, and a token may carry at most its owner's role`,
      { errors: [{ path: 'role', message: `at most ${ownerRole} for user ${owner}` }] },
    ),
  /** Only admins act on other users' tokens. */
  otherUser: (role: Role, what: string) =>
    new ConsoleError(TokenErrorCode.notOwner, 'permission_denied', `failed to authorize ${what}: role ${role} may act on its own tokens only, it needs admin for other users'`),
};
