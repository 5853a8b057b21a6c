import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { DEFAULT_PATH_ENV } from '../spec/index.js';
import type { ImageConfig, ImageRuntimeConfig } from './config.js';
import { IMAGE_ANNOTATIONS, commandLine, mergeEnv, specFromImage, type ImageSpecOverrides } from './runtime-spec.js';
import { readFileInRoot, readUserDb, resolveUser, type UserDb } from './runtime-spec-user.js';

function image(config: ImageRuntimeConfig, extra: Partial<ImageConfig> = {}): ImageConfig {
  return { architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: [] }, ...extra };
}

const DB: UserDb = {
  passwd: [
    'root:x:0:0:root:/root:/bin/sh',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'app:x:1000:1000:app user:/home/app:/bin/sh',
    '# comment line',
    'broken:x:notanumber:1::/:',
    'nohome:x:1001:1001:::/bin/sh',
  ].join('\n'),
  group: ['root:x:0:', 'wheel:x:10:app,root', 'audio:x:29:app', 'app:x:1000:', 'staff:x:50:daemon'].join('\n'),
};

const commandCases: Array<{ name: string; config: ImageRuntimeConfig; o: ImageSpecOverrides; want: string[] }> = [
  { name: 'entrypoint + cmd', config: { Entrypoint: ['/ep'], Cmd: ['a', 'b'] }, o: {}, want: ['/ep', 'a', 'b'] },
  { name: 'cmd only', config: { Cmd: ['sh', '-c', 'x'] }, o: {}, want: ['sh', '-c', 'x'] },
  { name: 'override cmd replaces Cmd, keeps Entrypoint', config: { Entrypoint: ['/ep'], Cmd: ['a'] }, o: { cmd: ['z'] }, want: ['/ep', 'z'] },
  { name: 'override entrypoint drops image Cmd', config: { Entrypoint: ['/ep'], Cmd: ['a'] }, o: { entrypoint: ['/other'] }, want: ['/other'] },
  { name: 'override entrypoint and cmd', config: { Entrypoint: ['/ep'], Cmd: ['a'] }, o: { entrypoint: ['/other'], cmd: ['x', 'y'] }, want: ['/other', 'x', 'y'] },
  { name: 'empty entrypoint override clears it', config: { Entrypoint: ['/ep'], Cmd: ['a'] }, o: { entrypoint: [], cmd: ['ls'] }, want: ['ls'] },
];

for (const c of commandCases) {
  test(`commandLine: ${c.name}`, () => {
    assert.deepEqual(commandLine(c.config, c.o), c.want);
    assert.deepEqual(specFromImage(image(c.config), c.o).process?.args, c.want);
  });
}

test('specFromImage rejects an image without any command, naming the field', () => {
  assert.throws(() => specFromImage(image({}), {}), (e: unknown) => e instanceof BerthError && e.category === 'invalid_argument' && /command is empty/.test(e.message));
  assert.throws(() => specFromImage(image({ Entrypoint: ['/ep'] }), { entrypoint: [] }), /command is empty/);
});

const envCases: Array<{ name: string; image: string[]; o: string[]; want: string[] }> = [
  { name: 'override wins per key, keeps order', image: ['A=1', 'B=2'], o: ['B=3', 'C=4'], want: ['A=1', 'B=3', 'C=4'] },
  { name: 'value may contain =', image: ['X=a=b'], o: [], want: ['X=a=b'] },
  { name: 'empty value allowed', image: ['A=1'], o: ['A='], want: ['A='] },
];
for (const c of envCases) {
  test(`mergeEnv: ${c.name}`, () => assert.deepEqual(mergeEnv(c.image, c.o), c.want));
}

test('mergeEnv rejects entries without "=" and empty keys', () => {
  assert.throws(() => mergeEnv([], ['NOVALUE']), /env entry "NOVALUE" must have the form KEY=VALUE/);
  assert.throws(() => mergeEnv(['=x'], []), /image Env entry "=x"/);
});

test('env: PATH default when missing, kept when given; HOME from passwd; HOSTNAME; TERM with tty', () => {
  const s1 = specFromImage(image({ Cmd: ['sh'], User: 'app' }), {}, { userDb: DB, defaultHostname: 'abc123' });
  assert.deepEqual(s1.process?.env, [DEFAULT_PATH_ENV, 'HOSTNAME=abc123', 'HOME=/home/app']);
  const s2 = specFromImage(image({ Cmd: ['sh'], Env: ['PATH=/bin', 'HOME=/x'] }), { tty: true });
  assert.deepEqual(s2.process?.env, ['PATH=/bin', 'HOME=/x', 'TERM=xterm']);
  assert.equal(s2.process?.terminal, true);
  const s3 = specFromImage(image({ Cmd: ['sh'], Env: ['PATH=/bin'] }), { env: ['PATH=/usr/bin', 'K=V'] });
  assert.deepEqual(s3.process?.env, ['PATH=/usr/bin', 'K=V', 'HOME=/']);
});

const cwdCases: Array<{ name: string; wd?: string; o?: string; want: string }> = [
  { name: 'default /', want: '/' },
  { name: 'image WorkingDir', wd: '/srv', want: '/srv' },
  { name: 'override wins', wd: '/srv', o: '/tmp', want: '/tmp' },
];
for (const c of cwdCases) {
  test(`cwd: ${c.name}`, () => {
    const s = specFromImage(image({ Cmd: ['sh'], ...(c.wd ? { WorkingDir: c.wd } : {}) }), c.o ? { workdir: c.o } : {});
    assert.equal(s.process?.cwd, c.want);
  });
}
test('cwd: a relative workdir is rejected', () => {
  assert.throws(() => specFromImage(image({ Cmd: ['sh'] }), { workdir: 'rel' }), /workdir "rel" must be an absolute path/);
  assert.throws(() => specFromImage(image({ Cmd: ['sh'], WorkingDir: 'x' }), {}), /image WorkingDir "x"/);
});

const userCases: Array<{ user: string; want: { uid: number; gid: number; additionalGids: number[]; home: string; username?: string } }> = [
  { user: '', want: { uid: 0, gid: 0, additionalGids: [10], home: '/root', username: 'root' } },
  { user: 'app', want: { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app', username: 'app' } },
  { user: '1000', want: { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app', username: 'app' } },
  { user: '4242', want: { uid: 4242, gid: 0, additionalGids: [], home: '/' } },
  { user: '4242:77', want: { uid: 4242, gid: 77, additionalGids: [], home: '/' } },
  { user: 'app:audio', want: { uid: 1000, gid: 29, additionalGids: [], home: '/home/app', username: 'app' } },
  { user: 'daemon:0', want: { uid: 1, gid: 0, additionalGids: [], home: '/usr/sbin', username: 'daemon' } },
  { user: 'daemon', want: { uid: 1, gid: 1, additionalGids: [50], home: '/usr/sbin', username: 'daemon' } },
  { user: 'nohome', want: { uid: 1001, gid: 1001, additionalGids: [], home: '/', username: 'nohome' } },
];
for (const c of userCases) {
  test(`resolveUser ${JSON.stringify(c.user)}`, () => {
    assert.deepEqual(resolveUser(c.user, DB), c.want);
    const s = specFromImage(image({ Cmd: ['id'], User: c.user }), {}, { userDb: DB });
    assert.equal(s.process?.user.uid, c.want.uid);
    assert.equal(s.process?.user.gid, c.want.gid);
    assert.deepEqual(s.process?.user.additionalGids ?? [], c.want.additionalGids);
  });
}

const badUsers: Array<{ user: string; db: UserDb; msg: RegExp }> = [
  { user: 'ghost', db: DB, msg: /no user named "ghost" in the image's \/etc\/passwd/ },
  { user: 'app:ghosts', db: DB, msg: /no group named "ghosts" in the image's \/etc\/group/ },
  { user: 'app', db: {}, msg: /has no \/etc\/passwd/ },
  { user: '0:wheel', db: { passwd: DB.passwd! }, msg: /has no \/etc\/group/ },
  { user: 'app:', db: DB, msg: /group after ":" is empty/ },
  { user: ':10', db: DB, msg: /user before ":" is empty/ },
  { user: '99999999999', db: DB, msg: /uid 99999999999 is out of range/ },
  { user: '-1', db: DB, msg: /uid -1 is out of range/ },
];
for (const c of badUsers) {
  test(`resolveUser rejects ${JSON.stringify(c.user)}`, () => {
    assert.throws(() => resolveUser(c.user, c.db), (e: unknown) => e instanceof BerthError && e.code === 'invalid_user' && c.msg.test(e.message));
  });
}

test('override user wins over the image User', () => {
  const s = specFromImage(image({ Cmd: ['id'], User: 'app' }), { user: 'daemon' }, { userDb: DB });
  assert.equal(s.process?.user.uid, 1);
});

test('annotations record ExposedPorts, Volumes, StopSignal, Labels and platform; overrides win', () => {
  const s = specFromImage(
    image(
      { Cmd: ['sh'], ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Volumes: { '/data': {} }, StopSignal: 'SIGQUIT', Labels: { team: 'a', 'x.y': 'z' } },
      { author: 'me', created: '2024-01-02T03:04:05Z' },
    ),
    { annotations: { team: 'b' } },
  );
  assert.deepEqual(s.annotations, {
    team: 'b',
    'x.y': 'z',
    [IMAGE_ANNOTATIONS.os]: 'linux',
    [IMAGE_ANNOTATIONS.architecture]: 'amd64',
    [IMAGE_ANNOTATIONS.author]: 'me',
    [IMAGE_ANNOTATIONS.created]: '2024-01-02T03:04:05Z',
    [IMAGE_ANNOTATIONS.exposedPorts]: '80/tcp,53/udp',
    [IMAGE_ANNOTATIONS.stopSignal]: 'SIGQUIT',
    [IMAGE_ANNOTATIONS.volumes]: '/data',
  });
});

test('resources, read-only root, hostname and cgroupsPath; hardened defaults applied', () => {
  const s = specFromImage(image({ Cmd: ['sh'] }), { memory: 64 * 1024 * 1024, cpus: 1.5, pidsLimit: 100, readOnly: true, hostname: 'web-1', cgroupsPath: 'p/c1' });
  assert.deepEqual(s.linux?.resources?.memory, { limit: 64 * 1024 * 1024 });
  assert.deepEqual(s.linux?.resources?.cpu, { quota: 150_000, period: 100_000 });
  assert.deepEqual(s.linux?.resources?.pids, { limit: 100 });
  assert.deepEqual(s.linux?.resources?.devices?.[0], { allow: false, access: 'rwm' });
  assert.equal(s.linux?.cgroupsPath, 'p/c1');
  assert.equal(s.root?.readonly, true);
  assert.equal(s.hostname, 'web-1');
  assert.equal(s.process?.noNewPrivileges, true);
  assert.equal(s.process?.capabilities?.bounding?.length, 14);
  assert.ok(s.mounts?.some((m) => m.destination === '/proc'));
  assert.ok(s.linux?.namespaces?.some((n) => n.type === 'mount'));
  assert.ok((s.linux?.maskedPaths ?? []).includes('/proc/kcore'));
});

const badOverrides: Array<{ o: ImageSpecOverrides; msg: RegExp }> = [
  { o: { memory: 1024 }, msg: /memory 1024 must be .* at least 6 MiB/ },
  { o: { memory: 1.5e7 + 0.5 }, msg: /memory .* whole number/ },
  { o: { cpus: 0 }, msg: /cpus 0 must be a positive number/ },
  { o: { cpus: 0.001 }, msg: /cpus 0.001 is below the minimum/ },
  { o: { pidsLimit: -1 }, msg: /pidsLimit -1 must be a positive whole number/ },
  { o: { hostname: 'bad_host!' }, msg: /hostname "bad_host!"/ },
];
for (const c of badOverrides) {
  test(`specFromImage rejects ${JSON.stringify(c.o)}`, () => {
    assert.throws(() => specFromImage(image({ Cmd: ['sh'] }), c.o), (e: unknown) => e instanceof BerthError && c.msg.test(e.message));
  });
}

test('readFileInRoot resolves symlinks inside the root, never on the host', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-userdb-'));
  try {
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'real'), { recursive: true });
    await writeFile(join(root, 'real/passwd'), 'app:x:7:8::/app:/bin/sh\n');
    await symlink('/real/passwd', join(root, 'etc/passwd'));
    await symlink('../../../../../etc/shadow', join(root, 'etc/group'));
    const db = await readUserDb(root);
    assert.equal(db.passwd, 'app:x:7:8::/app:/bin/sh\n');
    assert.equal(db.group, undefined, 'the escaping link resolves to <root>/etc/shadow, which does not exist');
    assert.equal(await readFileInRoot(root, '/nope/x'), undefined);
    await symlink('loop', join(root, 'loop'));
    await assert.rejects(readFileInRoot(root, '/loop'), /too many levels of symbolic links/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
