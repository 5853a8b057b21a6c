import { ConsoleError } from '../common/errors.js';

/** Stable codes of errors the streams gateway raises itself (relay and auth codes pass through). */
export const StreamErrorCode = {
  invalidQuery: 'invalid_stream_request',
  invalidMessage: 'invalid_message',
  malformedJson: 'malformed_json',
  unknownMessageType: 'unknown_message_type',
  binaryMessage: 'binary_message',
  notExec: 'not_an_exec_stream',
  stdinClosed: 'stdin_not_open',
  agentsDisabled: 'agents_disabled',
  slowConsumer: 'slow_consumer',
  routeNotFound: 'route_not_found',
} as const;

export function invalidQuery(field: string, why: string): ConsoleError {
  return new ConsoleError(StreamErrorCode.invalidQuery, 'invalid_argument', `failed to open stream: ${field}: ${why}`, { errors: [{ path: field, message: why }] });
}

export function invalidMessage(field: string, why: string, code: string = StreamErrorCode.invalidMessage): ConsoleError {
  return new ConsoleError(code, 'invalid_argument', `failed to read stream message: ${field}: ${why}`);
}

export const streamError = {
  binaryMessage: () => new ConsoleError(StreamErrorCode.binaryMessage, 'invalid_argument', 'failed to read stream message: binary frames are not accepted; send JSON text'),
  notExec: (kind: string, type: string) =>
    new ConsoleError(StreamErrorCode.notExec, 'failed_precondition', `failed to handle ${type} message: this is a ${kind} stream; only exec streams take input`),
  stdinClosed: () => new ConsoleError(StreamErrorCode.stdinClosed, 'failed_precondition', 'failed to write stdin: the exec was opened without stdin=true or stdin was closed'),
  agentsDisabled: () => new ConsoleError(StreamErrorCode.agentsDisabled, 'unavailable', 'failed to open relay: this console does not serve agents'),
  routeNotFound: (path: string) => new ConsoleError(StreamErrorCode.routeNotFound, 'not_found', `failed to open stream: ${JSON.stringify(path)} is not a WebSocket endpoint`),
};
