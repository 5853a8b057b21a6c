import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ConsoleError, type ErrorCategory } from '../common/errors.js';
import { toServiceError } from './grpc-errors.js';

const table: [ErrorCategory, status][] = [
  ['invalid_argument', status.INVALID_ARGUMENT],
  ['unauthenticated', status.UNAUTHENTICATED],
  ['permission_denied', status.PERMISSION_DENIED],
  ['not_found', status.NOT_FOUND],
  ['already_exists', status.ALREADY_EXISTS],
  ['failed_precondition', status.FAILED_PRECONDITION],
  ['unavailable', status.UNAVAILABLE],
  ['internal', status.INTERNAL],
];

for (const [category, code] of table) {
  test(`grpc errors: ${category} maps to ${status[code]} and keeps code and message`, () => {
    const e = toServiceError(new ConsoleError('some_code', category, 'failed to do x: y'));
    assert.equal(e.code, code);
    assert.equal(e.details, 'failed to do x: y');
    assert.deepEqual(e.metadata?.get('berth-error-code'), ['some_code']);
  });
}

test('grpc errors: anything else is INTERNAL', () => {
  const e = toServiceError(new TypeError('boom'));
  assert.equal(e.code, status.INTERNAL);
  assert.match(e.details ?? '', /^failed to handle agent request: internal error \(boom\)/);
});
