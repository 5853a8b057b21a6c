/**
 * The CLI's error model. Every failure becomes one line on stderr, `berth: <message>`, and an
 * exit status: 2 for usage errors (bad flags, missing arguments), 1 for everything else.
 */

/** A field-level problem as the console reports it (`{path, message}`). */
export interface FieldError {
  path: string;
  message: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
  }
}

/** Bad command line: exit status 2, and the caller prints a usage hint. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** A non-2xx answer from the console, decoded from its `{code, message, errors?}` body. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(formatApiMessage(apiMessage, fieldErrors));
    this.name = 'ApiError';
  }
}

/**
 * The API message plus every field error not already quoted in it, on one line:
 * `failed to validate workload: spec.image: is required (replicas: must not be negative)`.
 */
export function formatApiMessage(message: string, errors: readonly FieldError[]): string {
  const extra = errors
    .map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`))
    .filter((s) => !message.includes(s));
  const text = extra.length === 0 ? message : `${message} (${extra.join('; ')})`;
  return text.replace(/\s*\n\s*/g, ' ');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
