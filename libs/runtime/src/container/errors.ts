import { BerthError, type ErrorCategory } from '../errors.js';

/**
 * Container lifecycle errors. Each `code` is stable and documented in the README's
 * "Errors" table; the CLI maps categories to exit codes.
 */
export type ContainerErrorCode =
  | 'container_not_found'
  | 'container_exists'
  | 'invalid_container_id'
  | 'invalid_state'
  | 'container_not_running'
  | 'rootfs_missing'
  | 'bundle_invalid'
  | 'hook_failed'
  | 'container_locked'
  | 'create_failed'
  | 'exec_failed';

const categories: Record<ContainerErrorCode, ErrorCategory> = {
  container_not_found: 'not_found',
  container_exists: 'already_exists',
  invalid_container_id: 'invalid_argument',
  invalid_state: 'failed_precondition',
  container_not_running: 'failed_precondition',
  rootfs_missing: 'not_found',
  bundle_invalid: 'invalid_argument',
  hook_failed: 'internal',
  container_locked: 'unavailable',
  create_failed: 'internal',
  exec_failed: 'internal',
};

export class ContainerError extends BerthError {
  constructor(
    code: ContainerErrorCode,
    message: string,
    details: { cause?: unknown; path?: string; pid?: number; containerId?: string } = {},
  ) {
    super(code, categories[code], message, details);
  }
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,1023}$/;

/** Container ids follow runc's rule: letters, digits, `_`, `.`, `-`; no path separators. */
export function checkContainerId(id: string): void {
  if (!ID_RE.test(id) || id === '.' || id === '..') {
    throw new ContainerError(
      'invalid_container_id',
      `failed to use container id ${JSON.stringify(id)}: must match ${ID_RE.source}`,
      { containerId: id },
    );
  }
}
