import { BerthError, type ErrorCategory } from '../errors.js';

/**
 * Image-domain errors. `code` is stable for programs; `category` maps to exit codes, HTTP
 * statuses and gRPC codes only at the edges. Messages read `failed to <verb> <object>: <cause>`.
 */
export type ImageErrorCode =
  | 'invalid_reference'
  | 'invalid_digest'
  | 'digest_mismatch'
  | 'size_mismatch'
  | 'invalid_manifest'
  | 'invalid_config'
  | 'unsupported_media_type'
  | 'platform_not_found'
  | 'blob_not_found'
  | 'image_not_found'
  | 'store_locked'
  | 'store_io'
  | 'unauthorized'
  | 'denied'
  | 'not_found'
  | 'unavailable'
  | 'registry_error'
  | 'invalid_credentials'
  | 'invalid_key'
  | 'invalid_policy'
  | 'signature_required'
  | 'signature_invalid';

const categories: Record<ImageErrorCode, ErrorCategory> = {
  invalid_reference: 'invalid_argument',
  invalid_digest: 'invalid_argument',
  digest_mismatch: 'failed_precondition',
  size_mismatch: 'failed_precondition',
  invalid_manifest: 'invalid_argument',
  invalid_config: 'invalid_argument',
  unsupported_media_type: 'invalid_argument',
  platform_not_found: 'not_found',
  blob_not_found: 'not_found',
  image_not_found: 'not_found',
  store_locked: 'unavailable',
  store_io: 'internal',
  unauthorized: 'permission_denied',
  denied: 'permission_denied',
  not_found: 'not_found',
  unavailable: 'unavailable',
  registry_error: 'internal',
  invalid_credentials: 'invalid_argument',
  invalid_key: 'invalid_argument',
  invalid_policy: 'invalid_argument',
  signature_required: 'failed_precondition',
  signature_invalid: 'failed_precondition',
};

export class ImageError extends BerthError {
  declare readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string, details: { cause?: unknown; path?: string } = {}) {
    super(code, categories[code], message, details);
  }
}
