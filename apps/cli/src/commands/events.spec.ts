import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli.js';
import { FakeConsole, runCli } from '../testing/fake-console.js';
import type { FleetEvent } from '../types.js';

const ev = (id: number, over: Partial<FleetEvent> = {}): FleetEvent => ({ id, type: 'Normal', reason: 'Scheduled', message: `e${id}`, objectKind: 'workload', objectId: 'w1', createdAt: '2026-01-01T00:00:00.000Z', ...over });
const line = (id: number, object = 'w1') => `2026-01-01T00:00:00.000Z  Normal   workload/${object}  Scheduled: e${id}\n`;

/** A fake console listening on loopback (REST + the events watch socket) and a logged-in HOME. */
async function withConsole(fn: (fake: FakeConsole, home: string) => Promise<void>): Promise<void> {
  const fake = new FakeConsole();
  const home = await mkdtemp(join(tmpdir(), 'berth-cli-events-'));
  try {
    const url = await fake.listen();
    const login = await runCli(fake, home, ['login', '--server', url, '--username', 'admin', '--password-stdin'], { stdin: fake.adminPassword });
    assert.equal(login.code, 0, login.stderr);
    await fn(fake, home);
  } finally {
    await fake.close();
    await rm(home, { recursive: true, force: true });
  }
}

/** Runs the CLI in-process with real time; stdout/stderr can be read while it runs. */
function start(fake: FakeConsole, home: string, argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const done = run(argv, {
    io: { stdout: (t) => void (out.stdout += Buffer.from(t).toString()), stderr: (t) => void (out.stderr += Buffer.from(t).toString()), readStdin: async () => '', isTTY: false },
    env: {}, homedir: home, fetch: fake.fetch as typeof fetch, now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  return { out, done };
}

async function until(cond: () => boolean, what: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('events: oldest first in a table, workloads by name; --for KIND/NAME filters by the object id', async () => {
  await withConsole(async (fake, home) => {
    fake.events = Array.from({ length: 250 }, (_, i) => ev(i + 1, { type: i % 2 ? 'Warning' : 'Normal', reason: `R${i + 1}`, message: `m${i + 1}` }));
    await writeFile(join(home, 'w.yaml'), 'name: web\nspec: {image: "busybox:latest"}\n');
    await runCli(fake, home, ['workloads', 'apply', '-f', join(home, 'w.yaml')]);
    fake.events.at(-1)!.objectId = 'id-web';
    const r = await runCli(fake, home, ['events', '--limit', '2']);
    assert.equal(r.stdout, ['AGE   TYPE      REASON   OBJECT         MESSAGE', '60s   Normal    R249     workload/w1    m249', '60s   Warning   R250     workload/web   m250', ''].join('\n'));
    const mine = await runCli(fake, home, ['events', '--for', 'workload/web', '-o', 'json']);
    assert.deepEqual((JSON.parse(mine.stdout) as { items: FleetEvent[] }).items.map((e) => e.id), [250]);
    assert.equal(fake.seen.at(-1)?.query.toString(), 'kind=workload&object=id-web&limit=50');
    assert.equal((await runCli(fake, home, ['events', '--for', 'workload/nope'])).stderr, 'berth: failed to find workload "nope": it does not exist\n');
    assert.equal((await runCli(fake, home, ['events', '--for', 'web'])).code, 2);
    assert.equal((await runCli(fake, home, ['events', '--for', 'workload/web', '--kind', 'node'])).code, 2);
  });
});

test('events --watch: prints the latest, then each event the socket delivers, one JSON object per line; no polling; Ctrl-C exits 0', async () => {
  await withConsole(async (fake, home) => {
    fake.events = [ev(1), ev(2)];
    const w = start(fake, home, ['events', '--watch', '-o', 'json', '--type', 'Normal']);
    await until(() => fake.watching === 1, () => w.out.stderr);
    assert.deepEqual(fake.watchUrls, ['/api/v1/events/watch?after=2&type=Normal']);
    fake.recordEvent(ev(3));
    fake.recordEvent(ev(4, { type: 'Warning' }));
    fake.recordEvent(ev(5));
    await until(() => w.out.stdout.split('\n').length === 5, () => w.out.stdout);
    process.emit('SIGINT');
    assert.equal(await w.done, 0);
    assert.deepEqual(w.out.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as FleetEvent).id), [1, 2, 3, 5]);
    assert.equal(w.out.stderr, '');
    assert.equal(fake.seen.filter((s) => s.path === '/api/v1/events').length, 1);
    await until(() => fake.watching === 0, () => 'the socket to close');
  });
});

test('events --watch: a dropped socket is reconnected from the last event seen, said on stderr, nothing repeated or lost', async () => {
  await withConsole(async (fake, home) => {
    fake.events = [ev(1)];
    const w = start(fake, home, ['events', '-w', '--kind', 'workload', '--object', 'w1']);
    await until(() => fake.watching === 1, () => w.out.stderr);
    fake.recordEvent(ev(2));
    await until(() => w.out.stdout.includes('e2'), () => w.out.stdout);
    fake.dropWatchers();
    fake.recordEvent(ev(3)); // while nobody watches
    await until(() => fake.watching === 1, () => w.out.stderr);
    fake.recordEvent(ev(4));
    await until(() => w.out.stdout.includes('e4'), () => w.out.stdout);
    process.emit('SIGINT');
    assert.equal(await w.done, 0);
    assert.equal(w.out.stdout, [1, 2, 3, 4].map((i) => line(i)).join(''));
    assert.deepEqual(fake.watchUrls, ['/api/v1/events/watch?after=1&kind=workload&object=w1', '/api/v1/events/watch?after=2&kind=workload&object=w1']);
    assert.match(w.out.stderr, /^berth: event stream lost \(.+\); reconnecting in 0\.5s from event 2\nberth: event stream resumed after event 2\n$/);
  });
});

test('events --watch: a console that refuses the reconnect (revoked token) or ends the watch with an error exits 1 with its message', async () => {
  await withConsole(async (fake, home) => {
    fake.events = [ev(1)];
    const w = start(fake, home, ['events', '--watch']);
    await until(() => fake.watching === 1, () => w.out.stderr);
    fake.validToken = 'revoked';
    fake.dropWatchers();
    assert.equal(await w.done, 1);
    assert.match(w.out.stderr, /\nberth: failed to authenticate request: the token is not valid\n$/);

    fake.validToken = 'tok-1';
    const g = start(fake, home, ['events', '--watch']);
    await until(() => fake.watching === 1, () => g.out.stderr);
    fake.failWatchers('resume_too_old', 'failed to resume events after id 1: more than 10000 events were recorded since', 409);
    assert.equal(await g.done, 1);
    assert.equal(g.out.stderr, 'berth: failed to watch events: failed to resume events after id 1: more than 10000 events were recorded since\n');
  });
});

test('events --watch: transient error frames and an unreachable console are retried with growing backoff', async () => {
  await withConsole(async (fake, home) => {
    const w = start(fake, home, ['events', '--watch']);
    await until(() => fake.watching === 1, () => w.out.stderr);
    assert.deepEqual(fake.watchUrls, ['/api/v1/events/watch?after=0']);
    fake.failWatchers('console_stopping', 'failed to watch events: the console is shutting down', 503);
    await until(() => fake.watching === 1 && fake.watchUrls.length === 2, () => w.out.stderr);
    fake.recordEvent(ev(7));
    await until(() => w.out.stdout === line(7), () => w.out.stdout);
    await fake.close(); // now nothing listens on the port
    await until(() => (w.out.stderr.match(/reconnecting/g) ?? []).length >= 3, () => w.out.stderr);
    process.emit('SIGINT');
    assert.equal(await w.done, 0);
    const delays = [...w.out.stderr.matchAll(/reconnecting in ([\d.]+)s from event (\d+)/g)].map((m) => [m[1], m[2]]);
    // The second connection lasted under 5 s, so the backoff kept growing instead of starting over.
    assert.deepEqual(delays.slice(0, 3), [['0.5', '0'], ['1', '7'], ['2', '7']]);
    assert.match(w.out.stderr, /event stream lost \(failed to watch events: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
  });
});
