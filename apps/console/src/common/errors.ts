/**
 * The console's one exception base class. Every error a service throws carries a stable
 * string `code` (part of the API contract: clients branch on it) and a category; HTTP_STATUS
 * below is the one mapping of categories to statuses (HTTP responses, WebSocket refusals and
 * close codes).
 * Messages read `failed to <verb> <object>: <cause>`.
 */
export type ErrorCategory =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'unavailable'
  | 'internal';

/** HTTP status per error category. */
export const HTTP_STATUS: Readonly<Record<ErrorCategory, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  unavailable: 503,
  internal: 500,
};

export interface FieldError {
  /** Dotted path with indices, e.g. `spec.containers[0].image`. */
  path: string;
  message: string;
}

export interface ConsoleErrorOptions {
  cause?: unknown;
  /** Field-level details for `invalid_argument`. */
  errors?: FieldError[];
}

export class ConsoleError extends Error {
  readonly errors: FieldError[] | undefined;

  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    options: ConsoleErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConsoleError';
    this.errors = options.errors;
  }
}

export function validationFailed(what: string, errors: FieldError[]): ConsoleError {
  const first = errors[0];
  const detail = first ? `${first.path || '(body)'}: ${first.message}` : 'invalid input';
  return new ConsoleError('validation_failed', 'invalid_argument', `failed to validate ${what}: ${detail}`, { errors });
}

export function notFound(kind: string, key: string): ConsoleError {
  return new ConsoleError(`${kind}_not_found`, 'not_found', `failed to find ${kind} ${JSON.stringify(key)}: it does not exist`);
}

export function alreadyExists(kind: string, name: string, cause?: unknown): ConsoleError {
  return new ConsoleError(`${kind}_exists`, 'already_exists', `failed to create ${kind} ${JSON.stringify(name)}: the name is taken`, { cause });
}

export function revisionConflict(kind: string, key: string, expected: number, actual: number): ConsoleError {
  return new ConsoleError(
    'revision_conflict',
    'failed_precondition',
    `failed to update ${kind} ${JSON.stringify(key)}: revision ${expected} is stale (current revision is ${actual})`,
  );
}

export function revisionRequired(kind: string, key: string): ConsoleError {
  return new ConsoleError(
    'revision_required',
    'invalid_argument',
    `failed to update ${kind} ${JSON.stringify(key)}: send the revision you read in If-Match or the body's "revision"`,
    { errors: [{ path: 'revision', message: 'required (or an If-Match header)' }] },
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
