import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConsole, runCli } from '../testing/fake-console.js';
import { parseExpiresIn } from './tokens.js';

const SERVER = 'http://127.0.0.1:9';

async function withLogin(role: string, fn: (fake: FakeConsole, home: string) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'berth-cli-tokens-'));
  try {
    const fake = new FakeConsole();
    fake.role = role;
    const r = await runCli(fake, home, ['login', '--server', SERVER, '--username', 'admin', '--password-stdin'], { stdin: fake.adminPassword });
    assert.equal(r.code, 0, r.stderr);
    await fn(fake, home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

test('parseExpiresIn: days and the usual units to seconds; bad or out-of-range values are usage errors naming the flag', () => {
  assert.equal(parseExpiresIn('30d'), 30 * 86400);
  assert.equal(parseExpiresIn('1d12h'), 36 * 3600);
  assert.equal(parseExpiresIn('90m'), 5400);
  assert.equal(parseExpiresIn('3600'), 3600);
  assert.throws(() => parseExpiresIn('30x'), /^UsageError: flag --expires-in wants a duration such as 30d, 12h or 90m, got "30x"$/);
  assert.throws(() => parseExpiresIn('d'), /wants a duration/);
  assert.throws(() => parseExpiresIn('1500ms'), /must be whole seconds/);
  assert.throws(() => parseExpiresIn('59s'), /between 60s and 3650d/);
  assert.throws(() => parseExpiresIn('3651d'), /between 60s and 3650d/);
});

test('login: a viewer now gets an API token of its own (no session fallback)', async () => {
  await withLogin('viewer', async (fake, home) => {
    const cfg = JSON.parse(await readFile(join(home, '.config', 'berth', 'config.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual([cfg['token'], cfg['tokenId'], cfg['session']], ['tok-1', 'tid-1', undefined]);
    assert.equal(fake.tokens[0]?.role, 'viewer');
  });
});

test('tokens create/ls/revoke: body sent, secret printed once, table and json output, API refusals exit 1', async () => {
  await withLogin('operator', async (fake, home) => {
    const made = await runCli(fake, home, ['tokens', 'create', '--name', 'ci', '--role', 'viewer', '--expires-in', '30d']);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(fake.seen.at(-1)?.body, { name: 'ci', role: 'viewer', expiresInSeconds: 30 * 86400 });
    assert.equal(made.stdout, 'token/ci created (id tid-2, user admin, role viewer, expires 2026-01-31T00:00:00.000Z)\nsecret (shown only now): tok-2\n');

    const above = await runCli(fake, home, ['tokens', 'create', '--name', 'up', '--role', 'admin']);
    assert.deepEqual([above.code, above.stderr], [1, "berth: failed to create token with role admin: the caller's role is operator\n"]);
    assert.equal((await runCli(fake, home, ['tokens', 'create', '--role', 'viewer'])).code, 2, '--name is required');
    const badRole = await runCli(fake, home, ['tokens', 'create', '--name', 'x', '--role', 'root']);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /^berth: flag --role wants one of viewer, operator, admin, got "root"\n/);
    const sent = fake.seen.length;
    assert.equal((await runCli(fake, home, ['tokens', 'create', '--name', 'x', '--expires-in', 'soon'])).code, 2);
    assert.equal(fake.seen.length, sent, 'a usage error sends nothing');

    const ls = await runCli(fake, home, ['tokens', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+USER\s+ROLE\s+STATE\s+EXPIRES\s+LAST USED\s+AGE$/);
    assert.match(lines[2]!, /^tid-2\s+ci\s+admin\s+viewer\s+active\s+2026-01-31T00:00:00.000Z\s+<never>\s+60s$/);
    await runCli(fake, home, ['tokens', 'ls', '--user', 'vera']);
    assert.equal(fake.seen.at(-1)?.query.get('user'), 'vera');

    const revoked = await runCli(fake, home, ['tokens', 'revoke', 'tid-2']);
    assert.deepEqual([revoked.code, revoked.stdout], [0, 'token/ci revoked (id tid-2)\n']);
    assert.deepEqual(fake.seen.at(-1)?.method, 'DELETE');
    const json = await runCli(fake, home, ['-o', 'json', 'tokens', 'ls']);
    assert.deepEqual((JSON.parse(json.stdout) as { items: { id: string; revokedAt: string | null }[] }).items.map((t) => [t.id, t.revokedAt !== null]), [['tid-1', false], ['tid-2', true]]);
    assert.match((await runCli(fake, home, ['tokens', 'ls'])).stdout, /tid-2\s+ci\s+admin\s+viewer\s+revoked/);
    const missing = await runCli(fake, home, ['tokens', 'revoke', 'nope']);
    assert.deepEqual([missing.code, missing.stderr], [1, 'berth: failed to find token "nope": it does not exist\n']);
    assert.equal((await runCli(fake, home, ['tokens', 'revoke'])).code, 2);
  });
});

test('nodes revoke: prints the revocation, shows Revoked in ls, json output; 409 twice and 403 for non-admins exit 1', async () => {
  await withLogin('admin', async (fake, home) => {
    fake.nodes.set('n1', {
      id: 'n-1', name: 'n1', labels: {}, capacity: {}, allocatable: {}, usage: null, conditions: [], status: 'Ready', agentVersion: '0.1.0',
      addresses: [], unschedulable: false, draining: false, revokedAt: null, lastHeartbeatAt: '2026-01-01T00:00:50Z', revision: 5, createdAt: '2026-01-01T00:00:00Z',
    });
    const r = await runCli(fake, home, ['nodes', 'revoke', 'n1']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'node/n1 revoked at 2026-01-01T00:00:55.000Z\n', '']);
    assert.deepEqual([fake.seen.at(-1)?.method, fake.seen.at(-1)?.path], ['POST', '/api/v1/nodes/n1/revoke']);
    assert.equal((await runCli(fake, home, ['nodes', 'ls'])).stdout.split('\n')[1]?.split(/\s{3,}/)[1], 'NotReady,Revoked');
    const again = await runCli(fake, home, ['-o', 'json', 'nodes', 'revoke', 'n1']);
    assert.deepEqual([again.code, again.stdout, again.stderr], [1, '', 'berth: failed to revoke node "n1": node n1 is already revoked\n']);
    fake.nodes.get('n1')!.revokedAt = null;
    const json = await runCli(fake, home, ['-o', 'json', 'nodes', 'revoke', 'n1']);
    assert.deepEqual([JSON.parse(json.stdout).name, JSON.parse(json.stdout).status], ['n1', 'NotReady']);
    assert.equal((await runCli(fake, home, ['nodes', 'revoke'])).code, 2);
    fake.role = 'operator';
    const denied = await runCli(fake, home, ['nodes', 'revoke', 'n1']);
    assert.deepEqual([denied.code, denied.stderr], [1, 'berth: failed to authorize POST /api/v1/nodes/n1/revoke: role operator may not, it needs admin\n']);
  });
});
