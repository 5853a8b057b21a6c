import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { BerthError, type ErrorCategory } from '../errors.js';

/** Category of an errno name, the mapping every Syscalls implementation uses. */
export function errnoCategory(code: string): ErrorCategory {
  switch (code) {
    case 'ENOENT':
    case 'ESRCH':
    case 'ENODATA':
      return 'not_found';
    case 'EEXIST':
      return 'already_exists';
    case 'EINVAL':
    case 'E2BIG':
    case 'EBADF':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
      return 'invalid_argument';
    case 'EPERM':
    case 'EACCES':
      return 'permission_denied';
    case 'EBUSY':
    case 'EAGAIN':
      return 'unavailable';
    default:
      return 'internal';
  }
}

/** errno number -> name (`1` -> `EPERM`), `E<n>` when unknown. */
export function errnoName(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[0] ?? `E${errno}`;
}

/** errno name -> number (`EPERM` -> 1); throws on an unknown name. */
export function errnoNumber(code: string): number {
  const n = (constants.errno as Record<string, number | undefined>)[code];
  if (n === undefined) {
    throw new BerthError('invalid_argument', 'invalid_argument', `failed to map errno name: unknown errno ${JSON.stringify(code)}`);
  }
  return n;
}

export interface SyscallErrorDetails {
  path?: string;
  pid?: number;
}

/**
 * The BerthError for a failed call: code is the errno name, category from {@link errnoCategory},
 * message `failed to <what>: <ENAME> (<description>)`. `cause` is a Node-style error with
 * `code`, `errno` and `syscall`, so `errnoCode(err.cause)` works too.
 */
export function syscallError(errno: number | string, syscall: string, what: string, details: SyscallErrorDetails = {}): BerthError {
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  const num = typeof errno === 'number' ? errno : errnoNumber(errno);
  const desc = getSystemErrorMap().get(-num)?.[1] ?? 'unknown error';
  const cause = Object.assign(new Error(`${syscall}: ${name} (${desc})`), { code: name, errno: num, syscall });
  return new BerthError(name, errnoCategory(name), `failed to ${what}: ${name} (${desc})`, { cause, ...details });
}
