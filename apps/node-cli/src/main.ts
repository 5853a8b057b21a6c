#!/usr/bin/env node
/**
 * berth-node: the node-local command line over @berth/runtime, in the spirit of podman and
 * nerdctl. It shares the data root (images, snapshots, bundles) and the state root with the
 * agent; the stores' lock files let both work at once.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger, LogFields } from '@berth/runtime';
import { errorLine, parseArgs, UsageError, type FlagSpec } from './args.js';
import { CliContext, type Output } from './context.js';
import { buildCommands } from './commands/build.js';
import { containerCommands } from './commands/containers.js';
import { imageCommands } from './commands/images.js';
import { trustCommands } from './commands/trust.js';

type Command = (ctx: CliContext, argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = { ...imageCommands, ...buildCommands, ...trustCommands, ...containerCommands };

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'data-root', kind: 'string' },
  { name: 'state-root', kind: 'string' },
  { name: 'auth-file', kind: 'string' },
  { name: 'debug', short: 'D', kind: 'bool' },
  { name: 'help', kind: 'bool' },
  { name: 'version', short: 'v', kind: 'bool' },
];

const USAGE = `usage: berth-node [global options] COMMAND [options] [arguments]

images:      pull, push, build, images, inspect, tag, rmi, prune, sign, verify, login, logout
containers:  run, ps, rm

global options:
  --data-root DIR    images, snapshots and bundles (default /var/lib/berth)
  --state-root DIR   container runtime state (default /run/berth/containers)
  --auth-file FILE   registry credentials written by login (default <data-root>/auth.json;
                     $DOCKER_CONFIG/config.json or ~/.docker/config.json are read as well)
  -D, --debug        log debug lines to stderr
`;

function output(stream: NodeJS.WriteStream): Output {
  return { write: (t) => void stream.write(t), isTTY: stream.isTTY === true };
}

function pinoLogger(debug: boolean): Logger {
  const wrap = (p: pino.Logger): Logger => ({
    debug: (msg: string, f?: LogFields) => p.debug(f ?? {}, msg),
    info: (msg: string, f?: LogFields) => p.info(f ?? {}, msg),
    warn: (msg: string, f?: LogFields) => p.warn(f ?? {}, msg),
    error: (msg: string, f?: LogFields) => p.error(f ?? {}, msg),
    child: (f: LogFields) => wrap(p.child(f)),
  });
  return wrap(pino({ level: debug ? 'debug' : 'warn', base: { name: 'berth-node' } }, pino.destination({ fd: 2, sync: true })));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv: string[]): Promise<number> {
  const g = parseArgs(argv, GLOBAL_FLAGS, { stopAtFirstPositional: true });
  if (g.bools.has('version')) {
    process.stdout.write('berth-node version 0.1.0\n');
    return 0;
  }
  const [name, ...rest] = g.rest;
  if (!name || g.bools.has('help') || name === 'help') {
    process.stdout.write(USAGE);
    return name || g.bools.has('help') ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}; see berth-node --help`);
  const dataRoot = g.strings.get('data-root') ?? '/var/lib/berth';
  const stateRoot = g.strings.get('state-root') ?? '/run/berth/containers';
  for (const [flag, v] of [['data-root', dataRoot], ['state-root', stateRoot]] as const) {
    if (!v.startsWith('/')) throw new UsageError(`--${flag} ${JSON.stringify(v)} must be an absolute path`);
  }
  const ctx = new CliContext({
    dataRoot,
    stateRoot,
    authFile: g.strings.get('auth-file') ?? join(dataRoot, 'auth.json'),
    stdout: output(process.stdout),
    stderr: output(process.stderr),
    env: process.env,
    logger: pinoLogger(g.bools.has('debug')),
    readStdin,
  });
  try {
    return await cmd(ctx, rest);
  } catch (err) {
    // Docker's convention: `run` exits 125 when the failure is Berth's, not the container's.
    if (name === 'run' && !(err instanceof UsageError)) throw Object.assign(err instanceof Error ? err : new Error(String(err)), { exitCode: 125 });
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(errorLine(err));
    if (process.env.BERTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    const code = (err as { exitCode?: unknown }).exitCode;
    process.exitCode = err instanceof UsageError ? 2 : typeof code === 'number' ? code : 1;
  },
);
