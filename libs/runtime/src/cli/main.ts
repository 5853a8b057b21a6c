#!/usr/bin/env node
/**
 * berth-runtime: an OCI runtime command line compatible with runc's, so tools written for runc
 * (containerd's shim, conformance suites, scripts) drive Berth unchanged.
 */
import { appendFileSync } from 'node:fs';
import { BerthError, causeText } from '../errors.js';
import { parseArgs, str, bool, UsageError, type FlagSpec } from './args.js';
import { commands, type CommandEnv } from './commands.js';
import { adoptWaitingShim } from '../process/index.js';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'root', kind: 'string', default: '/run/berth-runtime' },
  { name: 'log', kind: 'string' },
  { name: 'log-format', kind: 'string', default: 'text' },
  { name: 'debug', kind: 'bool' },
  { name: 'systemd-cgroup', kind: 'bool' },
  { name: 'rootless', kind: 'string' },
  { name: 'criu', kind: 'string' },
  { name: 'help', alias: 'h', kind: 'bool' },
  { name: 'version', alias: 'v', kind: 'bool' },
];

const USAGE = `usage: berth-runtime [global options] command [command options] [arguments...]

commands: ${Object.keys(commands).join(', ')}

global options:
  --root value        root directory for container state (default: /run/berth-runtime)
  --log value         write log lines to this file as well as stderr
  --log-format value  text or json (default: text)
  --debug             log debug lines
  --systemd-cgroup    not supported: Berth manages cgroupfs directly`;

function logLine(env: { logFile?: string; logFormat: string }, level: string, msg: string): void {
  if (!env.logFile) return;
  const time = new Date().toISOString();
  const line = env.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(env.logFile, line + '\n');
  } catch {
    /* an unwritable log must not hide the real error */
  }
}

async function main(argv: string[]): Promise<number> {
  // Taken out of the environment first, so that no process this one starts inherits it.
  const waitingShim = adoptWaitingShim('child_process');
  const g = parseArgs(argv, GLOBAL_FLAGS, { stopAtFirstPositional: true });
  const logFormat = str(g, 'log-format') ?? 'text';
  const logFile = str(g, 'log');
  const logEnv = { ...(logFile ? { logFile } : {}), logFormat };
  if (bool(g, 'version')) {
    process.stdout.write('berth-runtime version 0.1.0\nspec: 1.2.0\n');
    return 0;
  }
  const [name, ...rest] = g.rest;
  if (!name || bool(g, 'help')) {
    process.stdout.write(USAGE + '\n');
    return name || bool(g, 'help') ? 0 : 1;
  }
  if (logFormat !== 'text' && logFormat !== 'json') throw new UsageError(`invalid --log-format ${JSON.stringify(logFormat)}: want text or json`);
  if (bool(g, 'systemd-cgroup')) throw new UsageError('--systemd-cgroup is not supported: Berth manages cgroupfs directly');
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`no such command: ${name}`);
  const env: CommandEnv = {
    root: str(g, 'root') ?? '/run/berth-runtime',
    debug: bool(g, 'debug'),
    ...(waitingShim ? { waitingShim } : {}),
    log: (level, msg) => {
      logLine(logEnv, level, msg);
      if (level === 'warning' || (level === 'debug' && bool(g, 'debug'))) process.stderr.write(`${level}: ${msg}\n`);
    },
  };
  return await cmd(rest, env);
}

// Every command has finished its work (and awaited its processes) when main settles, and
// stdout/stderr writes are synchronous for files, pipes and terminals on Linux: exit at once
// instead of letting Node tear the heap down, which took several ms per invocation here.
const exit = (code: number): never => process.exit(code);

const argv = process.argv.slice(2);
main(argv).then(
  (code) => exit(code),
  (err: unknown) => {
    const msg = err instanceof UsageError ? `berth-runtime: ${err.message}` : causeText(err);
    const logFile = (() => {
      const i = argv.findIndex((a) => a === '--log' || a.startsWith('--log='));
      if (i < 0) return undefined;
      const a = argv[i] as string;
      return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
    })();
    const fmt = argv.includes('--log-format=json') || argv[argv.indexOf('--log-format') + 1] === 'json' ? 'json' : 'text';
    logLine({ ...(logFile ? { logFile } : {}), logFormat: fmt }, 'error', msg);
    process.stderr.write(`${msg}\n`);
    if (process.env.BERTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    exit(err instanceof UsageError ? 2 : err instanceof BerthError && err.category === 'invalid_argument' ? 1 : 1);
  },
);
