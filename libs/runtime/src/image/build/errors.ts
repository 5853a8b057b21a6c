import { BerthError, type ErrorCategory } from '../../errors.js';

/**
 * Build errors. Dockerfile errors carry the line and instruction in the message
 * (`failed to parse Dockerfile line 7 (COPY): ...`), so a user can find the culprit.
 */
export type BuildErrorCode =
  | 'dockerfile_invalid'
  | 'build_arg_invalid'
  | 'context_invalid'
  | 'run_failed'
  | 'base_image_unavailable'
  | 'build_io';

const categories: Record<BuildErrorCode, ErrorCategory> = {
  dockerfile_invalid: 'invalid_argument',
  build_arg_invalid: 'invalid_argument',
  context_invalid: 'invalid_argument',
  run_failed: 'failed_precondition',
  base_image_unavailable: 'unavailable',
  build_io: 'internal',
};

export class BuildError extends BerthError {
  declare readonly code: BuildErrorCode;

  constructor(code: BuildErrorCode, message: string, details: { cause?: unknown; path?: string; containerId?: string } = {}) {
    super(code, categories[code], message, details);
  }
}

/** `failed to parse Dockerfile line <n> (<KEYWORD>): <why>` */
export function syntaxError(line: number, keyword: string, why: string): BuildError {
  return new BuildError('dockerfile_invalid', `failed to parse Dockerfile line ${line} (${keyword}): ${why}`);
}
