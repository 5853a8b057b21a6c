import { ConsoleError } from '../common/errors.js';

export const AuthErrorCode = {
  unauthenticated: 'unauthenticated',
  invalidCredentials: 'invalid_credentials',
  invalidToken: 'invalid_token',
  tokenExpired: 'token_expired',
  tokenRevoked: 'token_revoked',
  sessionExpired: 'session_expired',
  userDisabled: 'user_disabled',
  permissionDenied: 'permission_denied',
} as const;

export const authError = {
  unauthenticated: () =>
    new ConsoleError(AuthErrorCode.unauthenticated, 'unauthenticated', 'failed to authenticate request: send a bearer token or log in'),
  invalidCredentials: () =>
    new ConsoleError(AuthErrorCode.invalidCredentials, 'unauthenticated', 'failed to log in: wrong username or password'),
  invalidToken: () => new ConsoleError(AuthErrorCode.invalidToken, 'unauthenticated', 'failed to authenticate request: the token is not valid'),
  tokenExpired: () => new ConsoleError(AuthErrorCode.tokenExpired, 'unauthenticated', 'failed to authenticate request: the token has expired'),
  tokenRevoked: () => new ConsoleError(AuthErrorCode.tokenRevoked, 'unauthenticated', 'failed to authenticate request: the token was revoked'),
  sessionExpired: () => new ConsoleError(AuthErrorCode.sessionExpired, 'unauthenticated', 'failed to authenticate request: the session has expired; log in again'),
  userDisabled: (u: string) => new ConsoleError(AuthErrorCode.userDisabled, 'unauthenticated', `failed to authenticate request: user ${JSON.stringify(u)} is disabled`),
  permissionDenied: (role: string, need: string, what: string) =>
    new ConsoleError(AuthErrorCode.permissionDenied, 'permission_denied', `failed to authorize ${what}: role ${role} may not, it needs ${need}`),
};
