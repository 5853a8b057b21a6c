import { execFileSync } from 'node:child_process';
import { readFile, writeFile, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Process } from '../spec/types.js';
import { defaultSpec } from '../spec/index.js';
import { Runtime } from '../container/runtime.js';
import type { ShimSpawner, WaitingShim } from '../process/index.js';
import { exitCodeOf } from '../container/run.js';
import type { Logger, LogFields } from '../logger.js';
import { parseArgs, str, bool, list, UsageError, type FlagSpec, type Parsed } from './args.js';

export interface CommandEnv {
  root: string;
  debug: boolean;
  /** The shim berth-runtime's front end started for this command, if any (native/fastpath.c). */
  waitingShim?: WaitingShim;
  log(level: 'debug' | 'info' | 'warning' | 'error', msg: string): void;
}

type Command = (argv: string[], env: CommandEnv) => Promise<number>;

function runtimeFor(env: CommandEnv, shimSpawner?: ShimSpawner): Runtime {
  const fmt = (msg: string, f?: LogFields) => (f && Object.keys(f).length ? `${msg} ${JSON.stringify(f)}` : msg);
  const logger: Logger = {
    debug: (m, f) => env.log('debug', fmt(m, f)),
    info: (m, f) => env.log('info', fmt(m, f)),
    warn: (m, f) => env.log('warning', fmt(m, f)),
    error: (m, f) => env.log('error', fmt(m, f)),
    child: () => logger,
  };
  return new Runtime({ root: env.root, logger, ...(shimSpawner ? { shimSpawner } : {}) });
}

/**
 * The shim for `create` and `run`: the one berth-runtime's front end started while Node started
 * up, if any (native/fastpath.c). Otherwise child_process: forking this small, short-lived Node
 * is cheaper than loading koffi for posix_spawn (134 vs 143 ms per run, 129 vs 137 ms per
 * run -d, measured when koffi was loaded only for that).
 */
function cliShimSpawner(env: CommandEnv): ShimSpawner {
  return env.waitingShim ?? 'child_process';
}

function one(p: Parsed, what = 'container id'): string {
  const [id, ...extra] = p.rest;
  if (!id) throw new UsageError(`this command requires a ${what}`);
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  return id;
}

/** What a foreground `run` passes on to the container (runc forwards all but SIGCHLD, SIGWINCH, SIGURG). */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU'];

const CREATE_FLAGS: FlagSpec[] = [
  { name: 'bundle', alias: 'b', kind: 'string', default: '.' },
  { name: 'console-socket', kind: 'string' },
  { name: 'pid-file', kind: 'string' },
  { name: 'no-pivot', kind: 'bool' },
  { name: 'no-new-keyring', kind: 'bool' },
  { name: 'preserve-fds', kind: 'string' },
];

/**
 * runc's --preserve-fds N passes descriptors 3..N+2 on to the container. Berth's shim uses fd 3
 * for its control channel and closes every other descriptor, so only 0 is accepted rather
 * than silently dropping them.
 */
function checkPreserveFds(p: Parsed): void {
  const n = str(p, 'preserve-fds');
  if (n === undefined || /^0+$/.test(n)) return;
  if (!/^\d+$/.test(n)) throw new UsageError(`invalid --preserve-fds ${JSON.stringify(n)}: want a number`);
  throw new UsageError(`--preserve-fds ${n} is not supported: Berth passes the container only its stdio`);
}

function consoleSocket(p: Parsed): { consoleSocket?: string } {
  const s = str(p, 'console-socket');
  return s ? { consoleSocket: resolve(s) } : {};
}
function pidFile(p: Parsed): { pidFile?: string } {
  const s = str(p, 'pid-file');
  return s ? { pidFile: resolve(s) } : {};
}

export const commands: Record<string, Command> = {
  async create(argv, env) {
    const p = parseArgs(argv, CREATE_FLAGS);
    const id = one(p);
    checkPreserveFds(p);
    await runtimeFor(env, cliShimSpawner(env)).create({ id, bundle: str(p, 'bundle') ?? '.', ...consoleSocket(p), ...pidFile(p), detach: true });
    return 0;
  },

  async start(argv, env) {
    await runtimeFor(env).start(one(parseArgs(argv, [])));
    return 0;
  },

  async run(argv, env) {
    const p = parseArgs(argv, [...CREATE_FLAGS, { name: 'detach', alias: 'd', kind: 'bool' }, { name: 'keep', kind: 'bool' }]);
    const id = one(p);
    checkPreserveFds(p);
    const rt = runtimeFor(env, cliShimSpawner(env));
    const detach = bool(p, 'detach');
    // In the foreground, signals sent to berth-runtime go to the container's init, as with runc:
    // Ctrl-C or a service manager's SIGTERM stops the container, and the exit code says so.
    // One that arrives before the init exists is delivered once it does.
    const pending: NodeJS.Signals[] = [];
    let created = false;
    const forward = (sig: NodeJS.Signals): void => {
      if (!created) pending.push(sig);
      else void rt.kill(id, sig).catch((err: unknown) => env.log('debug', `signal ${sig} not forwarded: ${String(err)}`));
    };
    if (!detach) for (const sig of FORWARDED_SIGNALS) process.on(sig, forward);
    const exit = await rt.run({
      id, bundle: str(p, 'bundle') ?? '.', ...consoleSocket(p), ...pidFile(p), detach, keep: bool(p, 'keep'),
      onCreated: () => {
        created = true;
        for (const sig of pending.splice(0)) forward(sig);
      },
    });
    return exit ? exitCodeOf(exit) : 0;
  },

  async state(argv, env) {
    const st = await runtimeFor(env).state(one(parseArgs(argv, [])));
    process.stdout.write(JSON.stringify(st, null, 2) + '\n');
    return 0;
  },

  async kill(argv, env) {
    const p = parseArgs(argv, [{ name: 'all', alias: 'a', kind: 'bool' }]);
    const [id, sig = 'SIGTERM', ...extra] = p.rest;
    if (!id) throw new UsageError('kill requires a container id');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    await runtimeFor(env).kill(id, sig, { all: bool(p, 'all') });
    return 0;
  },

  async delete(argv, env) {
    const p = parseArgs(argv, [{ name: 'force', alias: 'f', kind: 'bool' }]);
    await runtimeFor(env).delete(one(p), { force: bool(p, 'force') });
    return 0;
  },

  async list(argv, env) {
    const p = parseArgs(argv, [
      { name: 'format', alias: 'f', kind: 'string', default: 'table' },
      { name: 'quiet', alias: 'q', kind: 'bool' },
    ]);
    const all = await runtimeFor(env).list();
    if (bool(p, 'quiet')) {
      for (const c of all) process.stdout.write(c.id + '\n');
    } else if (str(p, 'format') === 'json') {
      process.stdout.write(JSON.stringify(all) + '\n');
    } else if (str(p, 'format') === 'table') {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd() + '\n');
    } else throw new UsageError(`invalid format option ${JSON.stringify(str(p, 'format'))}: want table or json`);
    return 0;
  },

  async pause(argv, env) {
    await runtimeFor(env).pause(one(parseArgs(argv, [])));
    return 0;
  },

  async resume(argv, env) {
    await runtimeFor(env).resume(one(parseArgs(argv, [])));
    return 0;
  },

  async exec(argv, env) {
    const p = parseArgs(
      argv,
      [
        { name: 'console-socket', kind: 'string' },
        { name: 'cwd', kind: 'string' },
        { name: 'env', alias: 'e', kind: 'list' },
        { name: 'tty', alias: 't', kind: 'bool' },
        { name: 'user', alias: 'u', kind: 'string' },
        { name: 'additional-gids', alias: 'g', kind: 'list' },
        { name: 'process', alias: 'p', kind: 'string' },
        { name: 'detach', alias: 'd', kind: 'bool' },
        { name: 'pid-file', kind: 'string' },
        { name: 'cap', alias: 'c', kind: 'list' },
        { name: 'no-new-privs', kind: 'bool' },
        { name: 'preserve-fds', kind: 'string' },
      ],
      // like runc: options come before the container id; everything after it is the command
      { stopAtFirstPositional: true },
    );
    const [id, ...args] = p.rest;
    if (!id) throw new UsageError('exec requires a container id');
    checkPreserveFds(p);
    let proc: Partial<Process> & { args: string[] };
    const file = str(p, 'process');
    if (file) {
      proc = JSON.parse(await readFile(file, 'utf8')) as Process & { args: string[] };
      if (!Array.isArray(proc.args) || proc.args.length === 0) throw new UsageError(`process file ${file}: args must be a non-empty array`);
    } else {
      if (args.length === 0) throw new UsageError('exec requires a command (or --process)');
      proc = { args };
      const cwd = str(p, 'cwd');
      if (cwd) proc.cwd = cwd;
      if (bool(p, 'tty')) proc.terminal = true;
      if (bool(p, 'no-new-privs')) proc.noNewPrivileges = true;
      const user = str(p, 'user');
      if (user) {
        const [u, g] = user.split(':');
        const uid = Number(u);
        const gid = g === undefined ? 0 : Number(g);
        if (!Number.isInteger(uid) || uid < 0 || !Number.isInteger(gid) || gid < 0) throw new UsageError(`invalid --user ${JSON.stringify(user)}: want uid[:gid]`);
        proc.user = { uid, gid, additionalGids: list(p, 'additional-gids').map(Number) };
      }
      const caps = list(p, 'cap');
      if (caps.length) proc.capabilities = { bounding: caps, effective: caps, permitted: caps };
    }
    const rt = runtimeFor(env);
    if (list(p, 'env').length) {
      const st = await rt.ctx.store.read(id);
      proc.env = [...(st.spec.process?.env ?? []), ...list(p, 'env')];
    }
    const h = await rt.exec(id, { process: proc, ...consoleSocket(p), ...pidFile(p), detach: bool(p, 'detach') });
    if (bool(p, 'detach')) return 0;
    return exitCodeOf(await h.wait());
  },

  async ps(argv, env) {
    const p = parseArgs(argv, [{ name: 'format', alias: 'f', kind: 'string', default: 'table' }], { stopAtFirstPositional: true });
    const [id, ...psArgs] = p.rest;
    if (!id) throw new UsageError('ps requires a container id');
    const pids = await runtimeFor(env).pids(id);
    if (str(p, 'format') === 'json') {
      process.stdout.write(JSON.stringify(pids) + '\n');
      return 0;
    }
    const out = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
    const [header, ...lines] = out.trimEnd().split('\n');
    const pidCol = (header ?? '').trim().split(/\s+/).indexOf('PID');
    if (pidCol < 0) throw new UsageError('ps output has no PID column');
    const set = new Set(pids);
    process.stdout.write((header ?? '') + '\n');
    for (const l of lines) if (set.has(Number(l.trim().split(/\s+/)[pidCol]))) process.stdout.write(l + '\n');
    return 0;
  },

  async events(argv, env) {
    const p = parseArgs(argv, [
      { name: 'interval', kind: 'string', default: '5s' },
      { name: 'stats', kind: 'bool' },
    ]);
    const id = one(p);
    const rt = runtimeFor(env);
    if (bool(p, 'stats')) {
      process.stdout.write(JSON.stringify(await rt.stats(id)) + '\n');
      return 0;
    }
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(str(p, 'interval') ?? '5s');
    if (!m) throw new UsageError(`invalid --interval ${JSON.stringify(str(p, 'interval'))}: want e.g. 5s`);
    const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
    let lastOom = -1;
    for (;;) {
      const st = await rt.state(id);
      if (st.status === 'stopped') return 0;
      const s = await rt.stats(id);
      if (lastOom >= 0 && s.data.memory.oomKills > lastOom) process.stdout.write(JSON.stringify({ type: 'oom', id }) + '\n');
      lastOom = s.data.memory.oomKills;
      process.stdout.write(JSON.stringify(s) + '\n');
      await new Promise((r) => setTimeout(r, ms));
    }
  },

  async spec(argv) {
    const p = parseArgs(argv, [
      { name: 'bundle', alias: 'b', kind: 'string', default: '.' },
      { name: 'rootless', kind: 'bool' },
    ]);
    if (p.rest.length) throw new UsageError(`unexpected arguments: ${p.rest.join(' ')}`);
    const file = join(resolve(str(p, 'bundle') ?? '.'), 'config.json');
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new UsageError(`File ${file} exists. Remove it first`);
    await writeFile(file, JSON.stringify(defaultSpec({ rootless: bool(p, 'rootless') }), null, '\t') + '\n');
    return 0;
  },
};
