// End to end: the real console (bin/berth-console, embedded PGlite in a temp dir) driven by
// the real CLI (bin/berth) as child processes, with HOME in a temp dir for the config file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runBerth, startConsole, type RunningConsole } from './harness.js';

const ROOT = repoRoot();
const PASSWORD = 'cli-e2e-admin-pw';
let consoleApp: RunningConsole | undefined;
let home = '';

const berth = (args: string[], input?: string) => runBerth(ROOT, args, { HOME: home }, input === undefined ? {} : { input });

before(async () => {
  for (const f of ['apps/cli/dist/main.js', 'apps/console/dist/main.js']) {
    assert.ok(existsSync(join(ROOT, f)), `${f} is missing: build first (npx tsc -b tsconfig.build.json)`);
  }
  home = await mkdtemp(join(tmpdir(), 'berth-cli-home-'));
  consoleApp = await startConsole(ROOT, PASSWORD);
});

after(async () => {
  await consoleApp?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

interface WorkloadJson {
  name: string;
  replicas: number;
  revision: number;
  currentRevision: number;
  labels: Record<string, string>;
  spec: { image: string };
}

test('berth against a real console: login, apply, ls, scale, revision conflict, validation, rollout timeout, delete, logout', { timeout: 240_000 }, async () => {
  const url = consoleApp!.url;

  // Login with a password from stdin: an API token is created and stored 0600.
  const login = await berth(['login', '--server', url, '--username', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, `Logged in to ${url} as admin (admin)\n`);
  const cfgPath = join(home, '.config', 'berth', 'config.json');
  assert.equal((await stat(cfgPath)).mode & 0o777, 0o600);
  const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as { server: string; token: string; tokenId: string };
  assert.equal(cfg.server, url);
  assert.match(cfg.token, /\S{16,}/);

  const badLogin = await berth(['login', '--server', url, '--username', 'admin', '--password-stdin'], 'wrong-password\n');
  assert.equal(badLogin.code, 1);
  assert.match(badLogin.stderr, /^berth: failed to .+\n$/);

  // Apply two workloads from one file.
  const file = join(home, 'workloads.yaml');
  await writeFile(file, ['name: web', 'labels: {app: web}', 'replicas: 2', 'spec:', '  image: busybox:latest', '  command: [sleep, "3600"]', '---', 'kind: Workload', 'name: api', 'spec:', '  image: nginx:1.27', ''].join('\n'));
  const applied = await berth(['workloads', 'apply', '-f', file]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^workload\/web created \(revision \d+\)\nworkload\/api created \(revision \d+\)\n$/);
  const firstRevision = Number(/web created \(revision (\d+)\)/.exec(applied.stdout)![1]);

  // List: table and JSON.
  const table = await berth(['workloads', 'ls']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+REVISION\s+IMAGE\s+AGE\s+LABELS$/);
  assert.match(lines[1]!, /^api\s+0\/1\s+0\s+1\s+nginx:1\.27\s/);
  assert.match(lines[2]!, /^web\s+0\/2\s+0\s+1\s+busybox:latest\s+\S+\s+app=web$/);
  const listed = await berth(['workloads', 'ls', '-o', 'json']);
  const items = (JSON.parse(listed.stdout) as { items: WorkloadJson[] }).items;
  assert.deepEqual(items.map((w) => [w.name, w.replicas, w.spec.image]), [['api', 1, 'nginx:1.27'], ['web', 2, 'busybox:latest']]);

  // Scale, then read it back.
  const scaled = await berth(['workloads', 'scale', 'web', '--replicas', '3']);
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.match(scaled.stdout, /^workload\/web scaled to 3 replicas \(revision \d+\)\n$/);
  const described = JSON.parse((await berth(['-o', 'json', 'workloads', 'describe', 'web'])).stdout) as WorkloadJson & { revisions: unknown[] };
  assert.equal(described.replicas, 3);
  assert.ok(described.revision > firstRevision);

  // A manifest that names the revision it was read at is refused once someone else changed it.
  await writeFile(file, `name: web\nrevision: ${firstRevision}\nspec:\n  image: busybox:1.36\n`);
  const stale = await berth(['workloads', 'apply', '-f', file]);
  assert.equal(stale.code, 1);
  assert.equal(
    stale.stderr,
    `berth: failed to update workload "web": revision ${firstRevision} is stale (current revision is ${described.revision}): someone changed workload "web" since you read it; run 'berth workloads describe web' and retry\n`,
  );
  const after = JSON.parse((await berth(['-o', 'json', 'workloads', 'describe', 'web'])).stdout) as WorkloadJson;
  assert.equal(after.spec.image, 'busybox:latest');
  // ... and with the current revision it goes through as a new workload revision.
  await writeFile(file, `name: web\nrevision: ${described.revision}\nspec:\n  image: busybox:1.36\n`);
  const fresh = await berth(['workloads', 'apply', '-f', file]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /^workload\/web configured/);
  assert.equal((JSON.parse((await berth(['-o', 'json', 'workloads', 'describe', 'web'])).stdout) as WorkloadJson).spec.image, 'busybox:1.36');

  // The console's field errors reach the user on one line; bad YAML never reaches the console.
  await writeFile(file, 'name: bad\nspec:\n  image: NOT AN IMAGE\n  resources: {limits: {memory: 10}}\n');
  const invalid = await berth(['workloads', 'apply', '-f', file]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /^berth: failed to validate workload: spec\.image: not an image reference.*spec\.resources\.limits\.memory: below the 4 MiB a container needs.*\n$/);
  assert.equal(invalid.stderr.split('\n').length, 2);
  await writeFile(file, 'name: bad\nspec:\n  image: x\n\tcommand: [a]\n');
  const yaml = await berth(['workloads', 'apply', '-f', file]);
  assert.deepEqual([yaml.code, yaml.stderr], [1, `berth: failed to parse ${file}:4:1: Tabs are not allowed as indentation\n`]);
  assert.equal((await berth(['workloads', 'describe', 'bad'])).code, 1);

  // No nodes joined, so a rollout cannot finish: the wait ends at --timeout with exit 1.
  const rollout = await berth(['workloads', 'rollout', 'status', 'web', '--timeout', '2s', '--interval', '500ms']);
  assert.equal(rollout.code, 1);
  assert.match(rollout.stdout, /^Waiting for rollout of workload\/web \(revision 2\): 0 of 3 replicas ready, 0 up-to-date\n/);
  assert.match(rollout.stderr, /^berth: failed to wait for rollout of workload "web": timed out after 2s with 0 of 3 replicas ready\n$/);

  // Rollback to the first workload revision.
  const rolledBack = await berth(['workloads', 'rollback', 'web', '--to-revision', '1']);
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
  assert.equal((JSON.parse((await berth(['-o', 'json', 'workloads', 'describe', 'web'])).stdout) as WorkloadJson).spec.image, 'busybox:latest');

  // Usage errors exit 2.
  assert.equal((await berth(['workloads', 'scale', 'web'])).code, 2);
  assert.equal((await berth(['workloads', 'frobnicate'])).code, 2);

  // Delete; it is gone.
  const deleted = await berth(['workloads', 'delete', 'web']);
  assert.deepEqual([deleted.code, deleted.stdout], [0, 'workload/web deleted\n']);
  const gone = await berth(['workloads', 'describe', 'web']);
  assert.deepEqual([gone.code, gone.stderr], [1, 'berth: failed to find workload "web": it does not exist\n']);
  assert.deepEqual((JSON.parse((await berth(['-o', 'json', 'workloads', 'ls'])).stdout) as { items: WorkloadJson[] }).items.map((w) => w.name), ['api']);

  // Events and nodes are readable; -o yaml works.
  const events = await berth(['events', '-o', 'json']);
  assert.equal(events.code, 0, events.stderr);
  assert.ok(Array.isArray((JSON.parse(events.stdout) as { items: unknown[] }).items));
  const nodes = await berth(['nodes', 'ls', '-o', 'yaml']);
  assert.deepEqual([nodes.code, nodes.stdout], [0, 'items: []\n']);

  // Logout revokes the token: using it afterwards is refused by the console.
  const logout = await berth(['logout']);
  assert.equal(logout.code, 0, logout.stderr);
  const revoked = await runBerth(ROOT, ['--server', url, 'workloads', 'ls'], { HOME: home, BERTH_TOKEN: cfg.token });
  assert.equal(revoked.code, 1);
  assert.match(revoked.stderr, /^berth: failed to authenticate request: .+\n$/);
  assert.equal((await berth(['workloads', 'ls'])).code, 1);
});
