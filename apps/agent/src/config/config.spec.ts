import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from './config.js';

test('defaults and flags in both spellings', () => {
  const c = parseAgentConfig(['--listen', '127.0.0.1:9200', '--state-root=/run/x']);
  assert.equal(c.listen, '127.0.0.1:9200');
  assert.equal(c.stateRoot, '/run/x');
  assert.equal(c.dataRoot, '/var/lib/berth');
});

test('bad flags fail fast and name the flag', () => {
  assert.throws(() => parseAgentConfig(['--nope', 'x']), /unknown flag --nope/);
  assert.throws(() => parseAgentConfig(['--listen']), /flag --listen needs a value/);
  assert.throws(() => parseAgentConfig(['--listen', 'nowhere']), /--listen: must be host:port/);
  assert.throws(() => parseAgentConfig(['--state-root', 'rel']), /--state-root: must be an absolute path/);
});
