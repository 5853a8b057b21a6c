import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, causeText, errnoCode } from './errors.js';

test('BerthError keeps code, category, cause and details', () => {
  const cause = Object.assign(new Error('boom'), { code: 'ENOENT' });
  const e = new BerthError('rootfs_missing', 'not_found', 'failed to create container c1: rootfs missing', {
    cause,
    path: '/x',
    containerId: 'c1',
  });
  assert.equal(e.code, 'rootfs_missing');
  assert.equal(e.category, 'not_found');
  assert.equal(e.cause, cause);
  assert.equal(e.path, '/x');
  assert.equal(e.containerId, 'c1');
  assert.equal(e.name, 'BerthError');
  assert.equal(causeText(cause), 'boom');
  assert.equal(errnoCode(cause), 'ENOENT');
  assert.equal(errnoCode('x'), undefined);
});
