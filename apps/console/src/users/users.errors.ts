import { ConsoleError } from '../common/errors.js';

export const UserErrorCode = {
  notFound: 'user_not_found',
  exists: 'user_exists',
  lastAdmin: 'last_admin',
} as const;

export function lastAdmin(username: string): ConsoleError {
  return new ConsoleError(UserErrorCode.lastAdmin, 'failed_precondition', `failed to change user ${JSON.stringify(username)}: it is the last enabled admin`);
}
