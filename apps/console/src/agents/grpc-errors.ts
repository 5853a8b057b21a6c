/**
 * The one place console errors become gRPC statuses (the gRPC counterpart of the HTTP filter).
 * Handlers throw ConsoleError; the service wraps each handler with `toServiceError`.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ConsoleError, errorMessage, type ErrorCategory } from '../common/errors.js';

const CODES: Record<ErrorCategory, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

export function grpcCodeOf(category: ErrorCategory): status {
  return CODES[category];
}

/**
 * A grpc-js ServiceError for any thrown value. ConsoleErrors keep their message and send their
 * stable code in the `berth-error-code` trailer; anything else is INTERNAL with a generic
 * message (details go to the log, not to the agent).
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof ConsoleError) {
    metadata.set('berth-error-code', err.code);
    return { name: 'ConsoleError', code: CODES[err.category], details: err.message, message: err.message, metadata };
  }
  metadata.set('berth-error-code', 'internal');
  return { name: 'Error', code: status.INTERNAL, details: `failed to handle agent request: internal error (${errorMessage(err).slice(0, 200)})`, metadata };
}
