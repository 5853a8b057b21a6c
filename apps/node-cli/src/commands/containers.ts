/** Container commands: run, ps, rm. */
import { randomBytes } from 'node:crypto';
import { isNotFound, type ImageSpecOverrides } from '@berth/runtime';
import { expectArgs, parseArgs, parseBytes, parseNumber, UsageError, type FlagSpec } from '../args.js';
import type { CliContext } from '../context.js';
import { displayCommand, table, timeAgo } from '../format.js';
import { pullWithProgress } from './images.js';

const RUN_FLAGS: FlagSpec[] = [
  { name: 'rm', kind: 'bool' },
  { name: 'detach', short: 'd', kind: 'bool' },
  { name: 'env', short: 'e', kind: 'list' },
  { name: 'entrypoint', kind: 'string' },
  { name: 'workdir', short: 'w', kind: 'string' },
  { name: 'user', short: 'u', kind: 'string' },
  { name: 'name', kind: 'string' },
  { name: 'hostname', short: 'h', kind: 'string' },
  { name: 'read-only', kind: 'bool' },
  { name: 'memory', short: 'm', kind: 'string' },
  { name: 'cpus', kind: 'string' },
  { name: 'pids-limit', kind: 'string' },
  { name: 'cgroup-parent', kind: 'string' },
  { name: 'label', short: 'l', kind: 'list' },
  { name: 'pull', kind: 'string' },
];

const RUN_USAGE = '[--rm] [-d] [-e K=V] [--entrypoint X] [-w DIR] [-u USER] [--name N] [-m SIZE] [--cpus N] [--pids-limit N] [--read-only] [--cgroup-parent P] [--pull missing|always|never] IMAGE [CMD...]';

/** `-e K=V` as given; `-e K` takes K from berth-node's own environment (skipped if unset), as Docker does. */
export function envOverrides(entries: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.includes('=')) {
      if (e.startsWith('=')) throw new UsageError(`invalid environment variable ${JSON.stringify(e)}: the name is empty`);
      out.push(e);
    } else if (env[e] !== undefined) {
      out.push(`${e}=${env[e]}`);
    }
  }
  return out;
}

function runOverrides(ctx: CliContext, p: ReturnType<typeof parseArgs>, cmd: string[], id: string): ImageSpecOverrides {
  const s = (k: string) => p.strings.get(k);
  const labels: Record<string, string> = {};
  for (const l of p.lists.get('label') ?? []) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const entrypoint = s('entrypoint');
  const parent = s('cgroup-parent');
  return {
    ...(cmd.length > 0 ? { cmd } : {}),
    ...(entrypoint !== undefined ? { entrypoint: entrypoint === '' ? [] : [entrypoint] } : {}),
    env: envOverrides(p.lists.get('env') ?? [], ctx.env.env),
    ...(s('workdir') !== undefined ? { workdir: s('workdir') as string } : {}),
    ...(s('user') !== undefined ? { user: s('user') as string } : {}),
    ...(s('hostname') !== undefined ? { hostname: s('hostname') as string } : {}),
    ...(p.bools.has('read-only') ? { readOnly: true } : {}),
    ...(s('memory') !== undefined ? { memory: parseBytes('memory', s('memory') as string) } : {}),
    ...(s('cpus') !== undefined ? { cpus: parseNumber('cpus', s('cpus') as string, false) } : {}),
    ...(s('pids-limit') !== undefined ? { pidsLimit: parseNumber('pids-limit', s('pids-limit') as string, true) } : {}),
    ...(parent !== undefined ? { cgroupsPath: `${parent.replace(/\/+$/, '')}/${id}` } : {}),
    ...(Object.keys(labels).length > 0 ? { annotations: labels } : {}),
  };
}

async function ensureImage(ctx: CliContext, image: string, policy: string): Promise<void> {
  if (policy === 'always') {
    await pullWithProgress(ctx, image);
    return;
  }
  try {
    await ctx.containers.images.inspect(image);
  } catch (err) {
    if (!isNotFound(err) || policy === 'never') throw err;
    await pullWithProgress(ctx, image);
  }
}

async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN_FLAGS, { stopAtFirstPositional: true });
  expectArgs('run', p.rest.slice(0, 1), 1, 1, RUN_USAGE);
  const [image, ...cmd] = p.rest as [string, ...string[]];
  const policy = p.strings.get('pull') ?? 'missing';
  if (!['missing', 'always', 'never'].includes(policy)) throw new UsageError(`invalid value ${JSON.stringify(policy)} for --pull: want missing, always or never`);
  const id = p.strings.get('name') ?? randomBytes(6).toString('hex');
  const detach = p.bools.has('detach');
  const overrides = runOverrides(ctx, p, cmd, id);
  await ensureImage(ctx, image, policy);
  const containers = ctx.containers;
  // Foreground: forward SIGINT/SIGTERM/SIGHUP to the container (Docker's sig-proxy).
  const forward = (sig: NodeJS.Signals) => {
    containers.runtime.kill(id, sig).catch(() => undefined);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (!detach) for (const s of signals) process.on(s, forward);
  try {
    const r = await containers.run({ id, image, overrides, autoRemove: p.bools.has('rm'), detach });
    if (detach) {
      ctx.out.write(`${id}\n`);
      return 0;
    }
    return r.exit?.exitCode ?? 0;
  } finally {
    for (const s of signals) process.off(s, forward);
  }
}

async function ps(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'all', short: 'a', kind: 'bool' },
    { name: 'quiet', short: 'q', kind: 'bool' },
    { name: 'format', kind: 'string' },
  ]);
  expectArgs('ps', p.rest, 0, 0, '[-a] [-q] [--format table|json]');
  const format = p.strings.get('format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid value ${JSON.stringify(format)} for --format: want table or json`);
  const list = (await ctx.containers.list()).filter((c) => p.bools.has('all') || c.status !== 'stopped');
  if (p.bools.has('quiet')) {
    ctx.out.write(list.map((c) => `${c.id}\n`).join(''));
  } else if (format === 'json') {
    ctx.out.write(`${JSON.stringify(list, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  } else {
    const status = (c: (typeof list)[number]) => (c.status === 'stopped' ? (c.exit ? `Exited (${c.exit.exitCode})` : 'Exited') : c.status === 'running' ? 'Up' : c.status[0]?.toUpperCase() + c.status.slice(1));
    ctx.out.write(
      table(
        ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PID'],
        list.map((c) => [c.id, c.image, displayCommand(c.command), timeAgo(c.created), status(c), c.pid ? String(c.pid) : '-']),
      ),
    );
  }
  return 0;
}

async function rm(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'force', short: 'f', kind: 'bool' }]);
  expectArgs('rm', p.rest, 1, Infinity, '[-f] CONTAINER...');
  let failed: unknown;
  for (const id of p.rest) {
    try {
      await ctx.containers.remove(id, { force: p.bools.has('force') });
      ctx.out.write(`${id}\n`);
    } catch (err) {
      failed ??= err;
      if (p.rest.length > 1) ctx.env.stderr.write(`berth-node: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  if (failed) {
    if (p.rest.length > 1) return 1;
    throw failed;
  }
  return 0;
}

export const containerCommands = { run, ps, rm };
