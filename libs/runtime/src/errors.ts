/**
 * Error model for @berth/runtime.
 *
 * Every error the library throws is a {@link BerthError}: a stable string `code` (for programs),
 * a coarse `category` (mapped to exit codes, HTTP statuses or gRPC codes only at the edges),
 * a message that reads `failed to <verb> <object>: <cause>`, and, where they apply, the `path`,
 * `pid` and `containerId` involved. The original error is always kept in `cause`.
 */
export type ErrorCategory =
  | 'not_found'
  | 'already_exists'
  | 'invalid_argument'
  | 'failed_precondition'
  | 'unavailable'
  | 'permission_denied'
  | 'internal';

export interface ErrorDetails {
  cause?: unknown;
  path?: string;
  pid?: number;
  containerId?: string;
}

export class BerthError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly path?: string;
  readonly pid?: number;
  readonly containerId?: string;

  constructor(code: string, category: ErrorCategory, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.category = category;
    if (details.path !== undefined) this.path = details.path;
    if (details.pid !== undefined) this.pid = details.pid;
    if (details.containerId !== undefined) this.containerId = details.containerId;
  }
}

/** Text of an unknown thrown value, for the `<cause>` part of a message. */
export function causeText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Errno-style code of a Node or syscall error (`ENOENT`), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || (err instanceof BerthError && err.category === 'not_found');
}
