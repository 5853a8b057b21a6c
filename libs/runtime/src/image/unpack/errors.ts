import { BerthError, type ErrorCategory } from '../../errors.js';

/** Stable codes of the unpack layer. */
export type UnpackErrorCode =
  | 'layer_invalid'
  | 'layer_unsafe'
  | 'layer_too_large'
  | 'layer_unsupported'
  | 'layer_digest_mismatch'
  | 'layer_apply_failed';

const CATEGORY: Record<UnpackErrorCode, ErrorCategory> = {
  layer_invalid: 'invalid_argument',
  layer_unsafe: 'permission_denied',
  layer_too_large: 'failed_precondition',
  layer_unsupported: 'invalid_argument',
  layer_digest_mismatch: 'failed_precondition',
  layer_apply_failed: 'internal',
};

export function unpackError(code: UnpackErrorCode, message: string, details: { cause?: unknown; path?: string } = {}): BerthError {
  return new BerthError(code, CATEGORY[code], message, details);
}
