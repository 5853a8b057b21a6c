/**
 * berth-agent boots from its launcher, serves /healthz, and its /metrics pass Prometheus'
 * own linter (promtool check metrics). The state root is a temp dir, so nothing on the host is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../fixtures/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('berth-agent serves /healthz and lint-clean Prometheus /metrics', { timeout: 60_000 }, async () => {
  const state = await mkdtemp(join(tmpdir(), 'berth-agent-'));
  const port = await freePort();
  const agent = spawn(`${REPO}bin/berth-agent`, ['--listen', `127.0.0.1:${port}`, '--state-root', state], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  agent.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(health, `agent did not listen: ${stderr}`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^berth_agent_info\{version="0\.1\.0"\} 1$/m);
    assert.match(text, /^berth_agent_containers\{status="running"\} 0$/m);
    assert.match(text, /^process_resident_memory_bytes [1-9]\d+$/m);
    if (existsSync('/usr/bin/promtool')) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(lint.status, 0, `promtool: ${lint.stdout}${lint.stderr}`);
    }
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await rm(state, { recursive: true, force: true });
  }
});

test('berth-agent refuses a bad flag and names it', async () => {
  const r = spawnSync(`${REPO}bin/berth-agent`, ['--listen', 'nowhere'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /berth-agent: invalid configuration: --listen: must be host:port/);
});
