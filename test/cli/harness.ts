import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBin, type RunResult } from '../fixtures/cli.js';

/** The repository root: the nearest ancestor whose package.json is the "berth" workspace (works from test/cli and test/dist/cli). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('test/cli: cannot find the repository root');
    dir = up;
  }
}

/** Runs bin/berth with `env` only (plus PATH), stdin from `input`; kills it after `timeoutMs`. */
export function runBerth(root: string, args: string[], env: Record<string, string>, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return runBin('berth', args, { ...opts, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env } }, root);
}

export interface RunningConsole {
  url: string;
  /** host:port of the agents' gRPC listener. */
  grpcAddress: string;
  dir: string;
  /** The console's --data-dir (the CA certificate is pki/ca.crt in it). */
  dataDir: string;
  /** Stops the console (SIGTERM, then SIGKILL after 10 s) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts bin/berth-console on 127.0.0.1:0 with a fresh data directory and the given admin
 * password, and waits for its "listening" log line to learn the URL.
 */
export async function startConsole(root: string, adminPassword: string, timeoutMs = 120_000): Promise<RunningConsole> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cli-e2e-'));
  const child = spawn(
    join(root, 'bin', 'berth-console'),
    ['--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--log-level', 'info'],
    { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', BERTH_ADMIN_PASSWORD: adminPassword }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async () => {
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let grpcAddress = '';
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`berth-console did not start within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`)), timeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        for (const line of out.split('\n')) {
          if (line.includes('agent gRPC listener started')) grpcAddress = (JSON.parse(line) as { address?: string }).address ?? '';
          if (!line.includes('berth-console listening')) continue;
          const u = (JSON.parse(line) as { url?: string }).url;
          if (u) {
            clearTimeout(timer);
            resolve(u.replace('[::1]', '127.0.0.1'));
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`berth-console exited with ${code} before listening; stderr: ${err.slice(-2000)}`));
      });
    });
    return { url, grpcAddress, dir, dataDir: join(dir, 'data'), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
