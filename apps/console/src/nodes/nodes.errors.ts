import { ConsoleError } from '../common/errors.js';

export const NodeErrorCode = {
  alreadyRevoked: 'node_already_revoked',
} as const;

export const nodeError = {
  alreadyRevoked: (name: string, at: Date) =>
    new ConsoleError(
      NodeErrorCode.alreadyRevoked,
      'failed_precondition',
      `failed to revoke node ${JSON.stringify(name)}: node ${name} is already revoked (since ${at.toISOString()}); it can come back only by registering again with a join token`,
    ),
};
