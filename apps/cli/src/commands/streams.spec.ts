import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { run } from '../cli.js';
import { writeConfig } from '../config.js';

const ID = '3f2c1d7e-1111-4222-8333-944455556666';
const ID2 = '3f2c1d7e-1111-4222-8333-944455557777';
const MISSING = '00000000-0000-4000-8000-000000000000';

/** A loopback HTTP server with a WebSocket endpoint for logs/exec, checking the bearer token. */
async function withServer(onSocket: (ws: WebSocket, req: IncomingMessage) => void, fn: (url: string, home: string) => Promise<void>): Promise<void> {
  const http = createServer((req, res) => {
    if (req.url === '/api/v1/assignments?workload=web&desiredState=running&limit=500') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [{ id: ID2, workloadName: 'web', replicaIndex: 1 }, { id: ID, workloadName: 'web', replicaIndex: 0 }] }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'route_not_found', message: `Cannot GET ${req.url}` }));
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/api/v1/assignments/') || req.url.includes(MISSING)) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n{"code":"route_not_found","message":"Cannot GET"}');
      return;
    }
    if (req.headers.authorization !== 'Bearer tok') {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n{"code":"unauthenticated","message":"failed to authenticate request: the token is not valid"}');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, req));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const home = await mkdtemp(join(tmpdir(), 'berth-cli-ws-'));
  try {
    await writeConfig(join(home, '.config', 'berth', 'config.json'), { server: url, token: 'tok' });
    await fn(url, home);
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    await rm(home, { recursive: true, force: true });
  }
}

let rawModes = '';

async function cli(home: string, argv: string[], env: Record<string, string> = {}, tty = false, stdin?: Readable) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    io: { stdout: (t) => void (stdout += Buffer.from(t).toString()), stderr: (t) => void (stderr += Buffer.from(t).toString()), readStdin: async () => '', isTTY: tty, ...(stdin ? { stdin } : {}), ...(tty ? { terminalSize: () => ({ columns: 120, rows: 40 }), setRawMode: (raw: boolean) => void (rawModes += raw ? 'R' : 'r') } : {}) },
    env, homedir: home, fetch, now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  return { code, stdout, stderr };
}


test('logs: asks for the assignment with tail/follow and prints stdout and stderr lines until end', async () => {
  let seenUrl = '';
  await withServer(
    (ws, req) => {
      seenUrl = req.url ?? '';
      ws.send(JSON.stringify({ type: 'log', stream: 'stdout', time: '2026-01-01T00:00:00Z', line: 'hello' }));
      ws.send(JSON.stringify({ type: 'log', stream: 'stderr', line: 'oops' }));
      ws.send(JSON.stringify({ type: 'log', stream: 'stdout', line: 'part', partial: true }));
      ws.send(JSON.stringify({ type: 'log', stream: 'stdout', line: 'ial' }));
      ws.send(JSON.stringify({ type: 'end' }));
    },
    async (_url, home) => {
      const r = await cli(home, ['logs', '-f', '--tail', '5', '--since', '5m', ID]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(seenUrl, `/api/v1/assignments/${ID}/logs?follow=true&tail=5&since=5m`);
      assert.equal(r.stdout, 'hello\npartial\n');
      assert.equal(r.stderr, 'oops\n');
    },
  );
});

let lastUrl = '';

test('exec: sends the command, prints output and exits with the remote exit code; errors from the stream are reported', async () => {
  await withServer(
    (ws, req) => {
      lastUrl = req.url ?? '';
      const u = new URL(req.url ?? '', 'http://x');
      if (u.searchParams.getAll('command')[0] === 'cat') {
        let got = '';
        ws.on('message', (d) => {
          const m = JSON.parse(d.toString()) as { type: string; data?: string };
          if (m.type === 'stdin') got += Buffer.from(m.data!, 'base64').toString();
          if (m.type === 'stdin-eof') {
            ws.send(JSON.stringify({ type: 'output', stream: 'stdout', data: Buffer.from(got.toUpperCase()).toString('base64') }));
            ws.send(JSON.stringify({ type: 'exit', exitCode: 0 }));
          }
        });
        return;
      }
      if (u.searchParams.getAll('command')[0] === 'fail') {
        ws.send(JSON.stringify({ type: 'error', code: 'not_found', message: 'container is not running' }));
        return;
      }
      ws.send(JSON.stringify({ type: 'output', stream: 'stdout', data: Buffer.from(u.searchParams.getAll('command').join(' ')).toString('base64') }));
      ws.send(JSON.stringify({ type: 'exit', exitCode: 3 }));
    },
    async (_url, home) => {
      const r = await cli(home, ['exec', ID, '--', 'sh', '-c', 'exit 3']);
      assert.deepEqual([r.code, r.stdout], [3, 'sh -c exit 3']);
      const f = await cli(home, ['exec', ID, '--', 'fail']);
      assert.deepEqual([f.code, f.stderr], [1, `berth: failed to exec in ${ID}: container is not running\n`]);
      assert.equal((await cli(home, ['exec', ID])).code, 2);
      const cat = await cli(home, ['exec', '-i', ID, '--', 'cat'], {}, false, Readable.from([Buffer.from('hel'), Buffer.from('lo\n')]));
      assert.deepEqual([cat.code, cat.stdout, cat.stderr], [0, 'HELLO\n', '']);
      assert.match(lastUrl, /[?&]stdin=true/);
      rawModes = '';
      const t = await cli(home, ['exec', '-t', ID, '--', 'sh'], {}, true);
      assert.deepEqual([t.code, t.stdout, rawModes], [3, 'sh', 'Rr']);
      assert.match(lastUrl, /[?&]tty=true&stdin=false&columns=120&rows=40$/);
    },
  );
});

test('logs WORKLOAD: every running replica, in replica order, lines prefixed with the replica', async () => {
  await withServer(
    (ws, req) => {
      const id = /assignments\/([^/]+)\/logs/.exec(req.url ?? '')?.[1];
      ws.send(JSON.stringify({ type: 'log', stream: 'stdout', line: `from ${id}` }));
      ws.send(JSON.stringify({ type: 'end' }));
    },
    async (_url, home) => {
      const r = await cli(home, ['logs', 'web']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\n').sort(), ['', `[web-0] from ${ID}`, `[web-1] from ${ID2}`]);
      const none = await cli(home, ['logs', 'api']);
      assert.deepEqual([none.code, none.stderr], [1, 'berth: Cannot GET /api/v1/assignments?workload=api&desiredState=running&limit=500\n']);
    },
  );
});

test('logs/exec: a console without the WebSocket route says so; a bad token shows the API message', async () => {
  await withServer(
    () => undefined,
    async (url, home) => {
      const missing = await cli(home, ['logs', MISSING]);
      assert.deepEqual([missing.code, missing.stderr], [1, `berth: failed to stream logs of ${MISSING}: the console at ${new URL(url).host} does not serve /api/v1/assignments/${MISSING}/logs over WebSocket (HTTP 404)\n`]);
      const r = await cli(home, ['--token', 'bad', 'exec', ID, '--', 'true']);
      assert.deepEqual([r.code, r.stderr], [1, 'berth: failed to authenticate request: the token is not valid\n']);
    },
  );
});
