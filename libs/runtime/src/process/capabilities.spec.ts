import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../errors.js';
import { CAPABILITIES, CAP_LAST_CAP, capabilityMasks, capabilityName, capsToMask, maskToCaps } from './capabilities.js';

test('capability table covers 0..CAP_LAST_CAP without gaps or duplicates', () => {
  const nums = Object.values(CAPABILITIES).sort((a, b) => a - b);
  assert.deepEqual(nums, Array.from({ length: CAP_LAST_CAP + 1 }, (_, i) => i));
  assert.equal(CAPABILITIES.CAP_SYS_ADMIN, 21);
  assert.equal(CAPABILITIES.CAP_CHECKPOINT_RESTORE, 40);
  assert.equal(capabilityName(13), 'CAP_NET_RAW');
  assert.equal(capabilityName(41), undefined);
});

test('capsToMask sets bit n for capability n, including bits above 31', () => {
  assert.equal(capsToMask([]), 0n);
  assert.equal(capsToMask(['CAP_CHOWN']), 1n);
  assert.equal(capsToMask(['CAP_KILL', 'CAP_KILL']), 1n << 5n);
  assert.equal(capsToMask(['CAP_SETFCAP', 'CAP_MAC_OVERRIDE']), (1n << 31n) | (1n << 32n));
  assert.equal(capsToMask(['CAP_CHECKPOINT_RESTORE']), 1n << 40n);
  const all = capsToMask(Object.keys(CAPABILITIES));
  assert.equal(all, (1n << 41n) - 1n);
});

test('capsToMask rejects unknown names with a clear error', () => {
  assert.throws(() => capsToMask(['CAP_CHOWN', 'CAP_FLY']), (err: unknown) => {
    assert.ok(err instanceof BerthError);
    assert.equal(err.code, 'invalid_capability');
    assert.match(err.message, /^failed to convert capabilities: unknown capability "CAP_FLY"/);
    return true;
  });
  assert.throws(() => capsToMask(['chown']), /names start with CAP_/);
});

test('maskToCaps inverts capsToMask', () => {
  const names = ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_BPF'];
  assert.deepEqual(maskToCaps(capsToMask(names)), names);
  assert.deepEqual(maskToCaps(1n << 63n), []);
});

test('capabilityMasks converts every set and treats missing sets as empty', () => {
  const m = capabilityMasks({ bounding: ['CAP_KILL'], ambient: ['CAP_CHOWN'] });
  assert.equal(m.bounding, 1n << 5n);
  assert.equal(m.ambient, 1n);
  assert.equal(m.effective, 0n);
  assert.equal(capabilityMasks(undefined).permitted, 0n);
});
