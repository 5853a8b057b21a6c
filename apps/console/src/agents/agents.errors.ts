/** Error codes of the agents domain (stable: agents branch on them). */
import { ConsoleError } from '../common/errors.js';
import type { JoinTokenRejection } from './ports.js';

const TOKEN_TEXT: Record<JoinTokenRejection, string> = {
  unknown: 'the join token is not known',
  expired: 'the join token has expired',
  revoked: 'the join token was revoked',
  exhausted: 'the join token has been used its maximum number of times',
};

export function joinTokenRejected(reason: JoinTokenRejection): ConsoleError {
  return new ConsoleError(`join_token_${reason}`, 'unauthenticated', `failed to register node: ${TOKEN_TEXT[reason]}`);
}

export function noClientCertificate(): ConsoleError {
  return new ConsoleError(
    'client_certificate_required',
    'unauthenticated',
    'failed to authenticate node: no client certificate issued by this console was presented (register with a join token first)',
  );
}

export function nodeUnknown(nodeId: string): ConsoleError {
  return new ConsoleError('node_unknown', 'unauthenticated', `failed to authenticate node ${JSON.stringify(nodeId)}: it is not registered with this console`);
}

export function nodeRevoked(nodeId: string): ConsoleError {
  return new ConsoleError('node_revoked', 'permission_denied', `failed to authenticate node ${JSON.stringify(nodeId)}: the node was revoked`);
}

export function certificateSuperseded(nodeId: string): ConsoleError {
  return new ConsoleError('certificate_superseded', 'unauthenticated', `failed to authenticate node ${JSON.stringify(nodeId)}: the certificate is not the one last issued to the node`);
}

export function invalidRequest(what: string, detail: string): ConsoleError {
  return new ConsoleError('invalid_request', 'invalid_argument', `failed to ${what}: ${detail}`);
}
