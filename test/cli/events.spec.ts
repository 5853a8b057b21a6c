// End to end for `berth events --watch` against the real console: a workload that cannot be
// placed (no nodes) makes the console record a FailedScheduling event, which the running
// watch prints from the console's WebSocket; a loopback TCP proxy between the two cuts the
// connection to show the reconnect resumes without repeating or losing an event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runBerth, startConsole, type RunningConsole } from './harness.js';

const ROOT = repoRoot();
const PASSWORD = 'cli-events-e2e-pw';

interface Proxy {
  url: string;
  /** Connections whose first request was the events watch upgrade. */
  watches: number;
  /** Destroys every proxied connection, both sides (a network drop). */
  cut(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1:0 to `target` (host:port). */
async function startProxy(target: URL): Promise<Proxy> {
  const open = new Set<Socket>();
  const p: Proxy = {
    url: '',
    watches: 0,
    cut: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: async () => {
      p.cut();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.once('data', (d: Buffer) => {
      if (d.toString('latin1').startsWith('GET /api/v1/events/watch')) p.watches++;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}

let app: RunningConsole | undefined;
let proxy: Proxy | undefined;
let home = '';

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-cli-events-'));
  app = await startConsole(ROOT, PASSWORD);
  proxy = await startProxy(new URL(app.url));
});

after(async () => {
  await proxy?.close();
  await app?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: () => string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Ev {
  id: number;
  type: string;
  reason: string;
  objectKind: string;
  objectId: string;
}

test('berth events --watch prints events as the console records them and resumes after a dropped connection without repeats', { timeout: 240_000 }, async () => {
  const berth = (args: string[], input?: string) => runBerth(ROOT, args, { HOME: home }, input === undefined ? {} : { input });
  const login = await berth(['login', '--server', proxy!.url, '--username', 'admin', '--password-stdin'], PASSWORD);
  assert.equal(login.code, 0, login.stderr);
  const apply = async (name: string): Promise<string> => {
    const file = join(home, `${name}.yaml`);
    await writeFile(file, `name: ${name}\nspec:\n  image: ${name}:1\n`);
    const r = await berth(['workloads', 'apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    const w = await berth(['workloads', 'describe', name, '-o', 'json']);
    return (JSON.parse(w.stdout) as { id: string }).id;
  };

  const child = spawn(join(ROOT, 'bin', 'berth'), ['events', '--watch', '-o', 'json', '--type', 'Warning'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const events = () => stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Ev);
  const state = () => `stdout: ${stdout}\nstderr: ${stderr}`;
  try {
    await until(() => proxy!.watches === 1, state);
    // No node can take it, so the console records a FailedScheduling warning for it.
    const web = await apply('web');
    await until(() => events().some((e) => e.objectId === web), state);

    proxy!.cut();
    const api = await apply('api'); // recorded while the watch may be disconnected
    await until(() => stderr.includes('berth: event stream resumed'), state);
    await until(() => events().some((e) => e.objectId === api), state);
    const db = await apply('db'); // and one after the reconnect
    await until(() => events().some((e) => e.objectId === db), state);

    const seen = events();
    assert.deepEqual(seen.map((e) => [e.type, e.reason, e.objectKind, e.objectId]), [web, api, db].map((id) => ['Warning', 'FailedScheduling', 'workload', id]));
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'no event printed twice');
    assert.match(stderr, /^berth: event stream lost \(.+\); reconnecting in 0\.5s from event \d+\nberth: event stream resumed after event \d+\n$/);
    assert.ok(proxy!.watches >= 2);
    child.kill('SIGINT');
    assert.equal(await exited, 0, state());
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
});
