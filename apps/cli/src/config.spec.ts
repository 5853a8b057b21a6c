import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, normalizeServer, readConfig, writeConfig } from './config.js';
import { resolveTarget, type Context } from './commands/context.js';

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'berth-cli-config-'));
  try {
    await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function ctx(home: string, globals: Partial<Context['globals']> = {}, env: Record<string, string> = {}): Context {
  return {
    io: { stdout: () => undefined, stderr: () => undefined, readStdin: async () => '', isTTY: false },
    globals: { format: 'table', ...globals },
    env,
    homedir: home,
    fetch,
    now: () => 0,
    sleep: async () => undefined,
  };
}

test('configPath: XDG_CONFIG_HOME wins over ~/.config', () => {
  assert.equal(configPath({}, '/home/u'), '/home/u/.config/berth/config.json');
  assert.equal(configPath({ XDG_CONFIG_HOME: '/x' }, '/home/u'), '/x/berth/config.json');
  assert.equal(configPath({ XDG_CONFIG_HOME: '' }, '/home/u'), '/home/u/.config/berth/config.json');
});

test('writeConfig/readConfig: round trip; file 0600 and directory 0700, also over an existing looser file', async () => {
  await withHome(async (home) => {
    const p = configPath({}, home);
    assert.equal(await readConfig(p), undefined);
    await writeConfig(p, { server: 'http://127.0.0.1:1', token: 'secret', tokenId: 'id-1', username: 'admin' });
    assert.deepEqual(await readConfig(p), { server: 'http://127.0.0.1:1', token: 'secret', tokenId: 'id-1', username: 'admin' });
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    assert.equal((await stat(join(home, '.config', 'berth'))).mode & 0o777, 0o700);
    await chmod(p, 0o644);
    await writeConfig(p, { server: 'http://127.0.0.1:2' });
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(p, 'utf8')), { server: 'http://127.0.0.1:2' });
  });
});

test('readConfig: a broken file is an error naming the file and the problem', async () => {
  await withHome(async (home) => {
    const p = join(home, 'c.json');
    const cases: [string, RegExp][] = [
      ['{', /not JSON/],
      ['[]', /not a JSON object/],
      ['{"token":"t"}', /"server" must be a non-empty string/],
      ['{"server":"http://h","token":5}', /"token" must be a string/],
    ];
    for (const [text, re] of cases) {
      await writeFile(p, text);
      await assert.rejects(readConfig(p), (e: Error) => e.message.includes(p) && re.test(e.message), text);
    }
  });
});

test('normalizeServer: http(s) only, trailing slashes dropped; bad URLs are usage errors', () => {
  assert.equal(normalizeServer('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(normalizeServer('https://berth.example/console//'), 'https://berth.example/console');
  assert.throws(() => normalizeServer('127.0.0.1:8080'), (e: Error & { exitCode?: number }) => e.exitCode === 2);
  assert.throws(() => normalizeServer('ftp://h'), /scheme must be http or https, not ftp/);
});

test('resolveTarget: --token over BERTH_TOKEN over the stored token; stored credentials never go to another --server', async () => {
  await withHome(async (home) => {
    const p = configPath({}, home);
    await assert.rejects(resolveTarget(ctx(home)), /no console configured/);
    await writeConfig(p, { server: 'http://127.0.0.1:1/', token: 'stored' });
    assert.deepEqual(await resolveTarget(ctx(home)).then((t) => [t.server, t.token]), ['http://127.0.0.1:1', 'stored']);
    assert.equal((await resolveTarget(ctx(home, {}, { BERTH_TOKEN: 'env' }))).token, 'env');
    assert.equal((await resolveTarget(ctx(home, { token: 'flag' }, { BERTH_TOKEN: 'env' }))).token, 'flag');
    const other = await resolveTarget(ctx(home, { server: 'http://127.0.0.1:2' }));
    assert.equal(other.server, 'http://127.0.0.1:2');
    assert.equal(other.token, undefined);
    assert.equal((await resolveTarget(ctx(home, { server: 'http://127.0.0.1:2' }, { BERTH_TOKEN: 'env' }))).token, 'env');
    await writeConfig(p, { server: 'http://127.0.0.1:1', session: 'cookie' });
    assert.equal((await resolveTarget(ctx(home))).session, 'cookie');
  });
});
