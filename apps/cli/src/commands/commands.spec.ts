import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConsole, runCli } from '../testing/fake-console.js';
import type { Assignment } from '../types.js';

const SERVER = 'http://127.0.0.1:9';

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'berth-cli-cmd-'));
  try {
    await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function loggedIn(fake: FakeConsole, home: string): Promise<void> {
  const r = await runCli(fake, home, ['login', '--server', SERVER, '--username', 'admin', '--password-stdin'], { stdin: `${fake.adminPassword}\n` });
  assert.equal(r.code, 0, r.stderr);
}

test('login: password login creates an API token, ends the session and stores server+token 0600; logout revokes it', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    const path = join(home, '.config', 'berth', 'config.json');
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: SERVER, token: 'tok-1', tokenId: 'tid-1', username: 'admin' });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const login = fake.seen.find((r) => r.path === '/api/v1/auth/login')!;
    assert.deepEqual(login.body, { username: 'admin', password: fake.adminPassword });
    assert.equal(login.headers['authorization'], undefined);
    assert.equal(fake.seen.find((r) => r.path === '/api/v1/tokens')?.headers['cookie'], 'berth_session=sess-1');
    assert.ok(fake.seen.some((r) => r.path === '/api/v1/auth/logout'));

    const out = await runCli(fake, home, ['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(fake.revoked, ['tid-1']);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { server: SERVER, username: 'admin' });
    assert.equal((await runCli(fake, home, ['workloads', 'ls'])).stderr, `berth: not logged in to ${SERVER}: run 'berth login --server ${SERVER}' or set BERTH_TOKEN\n`);
  });
});

test('login: a wrong password prints the API message and exits 1; without a terminal the flags are required (exit 2)', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    const bad = await runCli(fake, home, ['login', '--server', SERVER, '--username', 'admin', '--password-stdin'], { stdin: 'nope\n' });
    assert.deepEqual([bad.code, bad.stderr], [1, 'berth: failed to log in: wrong username or password\n']);
    const noPw = await runCli(fake, home, ['login', '--server', SERVER, '--username', 'admin']);
    assert.equal(noPw.code, 2);
    assert.match(noPw.stderr, /^berth: login: stdin is not a terminal; pass the password with --password-stdin\nusage: berth login /);
    assert.equal((await runCli(fake, home, ['login', '--username', 'admin'])).code, 2);
  });
});

test('login: a role that may not create tokens (older consoles) keeps the session and says so', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    fake.role = 'viewer';
    fake.tokensForAdminsOnly = true;
    const r = await runCli(fake, home, ['login', '--server', SERVER, '--username', 'v', '--password-stdin'], { stdin: fake.adminPassword });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /role viewer may not create API tokens; stored a session/);
    const cfg = JSON.parse(await readFile(join(home, '.config', 'berth', 'config.json'), 'utf8')) as Record<string, string>;
    assert.equal(cfg['session'], 'sess-1');
    assert.equal((await runCli(fake, home, ['workloads', 'ls'])).code, 0);
    assert.equal(fake.seen.at(-1)?.headers['cookie'], 'berth_session=sess-1');
  });
});

test('workloads apply: creates, then updates with If-Match = the revision read; a stale manifest revision is a clear conflict', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    const file = join(home, 'w.yaml');
    await writeFile(file, 'name: web\nreplicas: 2\nspec: {image: "busybox:latest"}\n---\nname: api\nspec: {image: "nginx:1"}\n');
    const first = await runCli(fake, home, ['workloads', 'apply', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'workload/web created (revision 11)\nworkload/api created (revision 12)\n');
    assert.deepEqual(fake.seen.find((r) => r.method === 'POST' && r.path === '/api/v1/workloads')?.body, { name: 'web', spec: { image: 'busybox:latest' }, replicas: 2 });

    const second = await runCli(fake, home, ['-o', 'json', 'workloads', 'apply', '-f', file]);
    assert.equal(second.code, 0, second.stderr);
    const puts = fake.seen.filter((r) => r.method === 'PUT');
    assert.deepEqual(puts.map((r) => [r.path, r.headers['if-match']]), [['/api/v1/workloads/web', '"11"'], ['/api/v1/workloads/api', '"12"']]);
    assert.deepEqual(puts[0]?.body, { spec: { image: 'busybox:latest' }, replicas: 2 });
    assert.deepEqual((JSON.parse(second.stdout) as { items: { name: string }[] }).items.map((w) => w.name), ['web', 'api']);

    await writeFile(file, 'name: web\nrevision: 11\nspec: {image: "busybox:1"}\n');
    const stale = await runCli(fake, home, ['workloads', 'apply', '-f', file]);
    assert.equal(stale.code, 1);
    assert.equal(stale.stderr, `berth: failed to update workload "web": revision 11 is stale (current revision is 13): someone changed workload "web" since you read it; run 'berth workloads describe web' and retry\n`);
    assert.equal(fake.workloads.get('web')?.spec.image, 'busybox:latest');
  });
});

test('errors: field errors on one line; bad YAML names line and column and sends nothing; usage errors exit 2', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    const file = join(home, 'w.yaml');
    await writeFile(file, 'name: web\nspec: {command: [a]}\n');
    const invalid = await runCli(fake, home, ['workloads', 'apply', '-f', file]);
    assert.deepEqual([invalid.code, invalid.stderr], [1, 'berth: failed to validate workload: spec.image: is required (spec.foo: unknown field)\n']);
    const before = fake.seen.length;
    await writeFile(file, 'name: web\nspec:\n  image: x\n\tcommand: [a]\n');
    const yaml = await runCli(fake, home, ['workloads', 'apply', '-f', file]);
    assert.deepEqual([yaml.code, yaml.stderr], [1, `berth: failed to parse ${file}:4:1: Tabs are not allowed as indentation\n`]);
    assert.equal(fake.seen.length, before);
    assert.equal((await runCli(fake, home, ['workloads', 'apply'])).code, 2);
    assert.equal((await runCli(fake, home, ['workloads', 'scale', 'web', '--replicas', 'x'])).code, 2);
    assert.equal((await runCli(fake, home, ['-o', 'wide', 'workloads', 'ls'])).code, 2);
    const missing = await runCli(fake, home, ['workloads', 'describe', 'nope']);
    assert.deepEqual([missing.code, missing.stderr], [1, 'berth: failed to find workload "nope": it does not exist\n']);
  });
});

test('workloads scale/ls/delete: table output, --revision as a precondition', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    await writeFile(join(home, 'w.yaml'), 'name: web\nlabels: {app: web}\nspec: {image: "busybox:latest"}\n');
    assert.equal((await runCli(fake, home, ['workloads', 'apply', '-f', join(home, 'w.yaml')])).code, 0);
    const scaled = await runCli(fake, home, ['workloads', 'scale', 'web', '--replicas', '3']);
    assert.equal(scaled.stdout, 'workload/web scaled to 3 replicas (revision 12)\n');
    const conflict = await runCli(fake, home, ['workloads', 'scale', 'web', '--replicas', '1', '--revision', '11']);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /revision 11 is stale \(current revision is 12\)/);
    const ls = await runCli(fake, home, ['workloads', 'ls']);
    assert.equal(ls.stdout, ['NAME   READY   UP-TO-DATE   REVISION   IMAGE            AGE   LABELS', 'web    0/3     0            1          busybox:latest   60s   app=web', ''].join('\n'));
    assert.equal((await runCli(fake, home, ['workloads', 'delete', 'web'])).stdout, 'workload/web deleted\n');
    assert.equal((await runCli(fake, home, ['workloads', 'ls'])).stdout, 'No workloads\n');
  });
});

function replica(i: number, revision: number, state: string | null): Assignment {
  return {
    id: `a-${i}`, workloadName: 'web', workloadRevision: revision, nodeName: 'n1', replicaIndex: i, desiredState: 'running', revision: 1, createdAt: '2026-01-01T00:00:00Z',
    status: state === null ? null : { containerId: 'c', state, exitCode: null, restartCount: 0, reason: null, message: null, ready: false, observedAt: '2026-01-01T00:00:00Z' },
  };
}

test('workloads rollout status: progress lines until observed == desired; --timeout fails with exit 1', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    await writeFile(join(home, 'w.yaml'), 'name: web\nreplicas: 2\nspec: {image: "busybox:latest"}\n');
    await runCli(fake, home, ['workloads', 'apply', '-f', join(home, 'w.yaml')]);
    fake.assignments = [replica(0, 1, 'created')];
    const timeout = await runCli(fake, home, ['workloads', 'rollout', 'status', 'web', '--timeout', '3s']);
    assert.equal(timeout.code, 1);
    assert.equal(timeout.stdout, 'Waiting for rollout of workload/web (revision 1): 0 of 2 replicas ready, 1 up-to-date\n');
    assert.equal(timeout.stderr, 'berth: failed to wait for rollout of workload "web": timed out after 3s with 0 of 2 replicas ready\n');

    // The fake's assignments change as the CLI polls: the second poll sees both running.
    let polls = 0;
    const origFetch = fake.fetch;
    (fake as { fetch: typeof fake.fetch }).fetch = async (input, init) => {
      if (String(input).includes('/api/v1/assignments') && ++polls === 2) fake.assignments = [replica(0, 1, 'running'), replica(1, 1, 'running')];
      return origFetch(input, init);
    };
    const ok = await runCli(fake, home, ['workloads', 'rollout', 'status', 'web']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'Waiting for rollout of workload/web (revision 1): 0 of 2 replicas ready, 1 up-to-date\nworkload/web successfully rolled out (revision 1, 2/2 ready)\n');
  });
});

test('nodes: ls table, label k=v and k- with If-Match of the revision read, drain; bad label changes are usage errors', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    await loggedIn(fake, home);
    fake.nodes.set('n1', {
      id: 'n-1', name: 'n1', labels: { zone: 'a', old: 'x' }, capacity: { cpu: 4000 }, allocatable: { cpu: 3500 }, usage: null, conditions: [], status: 'Ready', agentVersion: '0.1.0',
      addresses: ['10.0.0.1'], unschedulable: false, draining: false, revokedAt: null, lastHeartbeatAt: '2026-01-01T00:00:50Z', revision: 5, createdAt: '2026-01-01T00:00:00Z',
    });
    const ls = await runCli(fake, home, ['nodes', 'ls']);
    assert.equal(ls.stdout, ['NAME   STATUS   AGE   HEARTBEAT   VERSION   LABELS', 'n1     Ready    60s   10s ago     0.1.0     zone=a,old=x', ''].join('\n'));
    const label = await runCli(fake, home, ['nodes', 'label', 'n1', 'zone=b', 'gpu=yes', 'old-']);
    assert.equal(label.code, 0, label.stderr);
    assert.equal(label.stdout, 'node/n1 labeled: zone=b,gpu=yes\n');
    const patch = fake.seen.find((r) => r.method === 'PATCH')!;
    assert.deepEqual([patch.headers['if-match'], patch.body], ['"5"', { labels: { zone: 'b', gpu: 'yes' } }]);
    assert.equal((await runCli(fake, home, ['nodes', 'label', 'n1', 'zone'])).code, 2);
    assert.equal((await runCli(fake, home, ['nodes', 'label', 'n1'])).code, 2);
    const drain = await runCli(fake, home, ['nodes', 'drain', 'n1']);
    assert.deepEqual([drain.code, drain.stdout], [0, 'node/n1 draining\n']);
    assert.equal((await runCli(fake, home, ['nodes', 'ls'])).stdout.split('\n')[1]?.split(/\s{3,}/)[1], 'Ready,Draining');
    const missing = await runCli(fake, home, ['nodes', 'describe', 'n2']);
    assert.deepEqual([missing.code, missing.stderr], [1, 'berth: failed to find node "n2": it does not exist\n']);
    const described = await runCli(fake, home, ['nodes', 'describe', 'n1']);
    assert.match(described.stdout, /^Name:\s+n1\nStatus:\s+Ready,Draining\nLabels:\n  zone=b\n  gpu=yes\n/);
    assert.match(described.stdout, /Allocatable:\s+cpu=3500\n/);
  });
});

test('login --token stores a given token after checking it; --help per command exits 0', async () => {
  await withHome(async (home) => {
    const fake = new FakeConsole();
    const bad = await runCli(fake, home, ['login', '--server', SERVER, '--token', 'nope']);
    assert.deepEqual([bad.code, bad.stderr], [1, 'berth: failed to authenticate request: no credentials\n']);
    const ok = await runCli(fake, home, ['login', '--server', `${SERVER}/`, '--token', 'tok-1']);
    assert.deepEqual([ok.code, ok.stdout], [0, `Logged in to ${SERVER} as admin (admin) with the given token\n`]);
    assert.deepEqual(JSON.parse(await readFile(join(home, '.config', 'berth', 'config.json'), 'utf8')), { server: SERVER, token: 'tok-1', username: 'admin' });
    const help = await runCli(fake, home, ['workloads', 'scale', '--help']);
    assert.deepEqual([help.code, help.stdout], [0, 'usage: berth workloads scale NAME --replicas N [--revision R]\nset the replica count\n']);
    assert.equal((await runCli(fake, home, [])).code, 2);
    assert.match((await runCli(fake, home, ['--help'])).stdout, /berth workloads rollout status NAME/);
  });
});
