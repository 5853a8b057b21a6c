import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.js';

test('loadConfig: defaults from the issue', () => {
  const c = loadConfig([], {});
  assert.equal(c.dataDir, '/var/lib/berth-console');
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(c.grpcListen, { host: '127.0.0.1', port: 8081 });
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.secretKeyFile, '/var/lib/berth-console/registry-secrets.key');
});

test('loadConfig: each bad flag is named in the error', () => {
  const cases: [string[], RegExp][] = [
    [['--listen', '127.0.0.1'], /--listen "127.0.0.1"/],
    [['--grpc-listen', 'x:99999'], /--grpc-listen/],
    [['--data-dir', 'relative/dir'], /--data-dir: must be an absolute path/],
    [['--database-url', 'mysql://x'], /--database-url: must be a postgres/],
    [['--log-level', 'loud'], /--log-level/],
    [['--bogus'], /--bogus/],
  ];
  for (const [argv, re] of cases) assert.throws(() => loadConfig(argv, {}), re, argv.join(' '));
  assert.throws(() => loadConfig([], { BERTH_ADMIN_PASSWORD: 'short' }), /BERTH_ADMIN_PASSWORD/);
  assert.equal(loadConfig(['--listen', '[::1]:0', '--database-url', 'postgresql://u@h/db'], { BERTH_ADMIN_PASSWORD: 'long-enough' }).adminPassword, 'long-enough');
});
