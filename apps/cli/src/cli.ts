import { parseArgs } from './args.js';
import { CliError, UsageError, errorMessage } from './errors.js';
import { parseOutputFormat } from './output.js';
import { authCommands } from './commands/auth.js';
import type { Command, Context, GlobalOptions } from './commands/context.js';
import { eventCommands } from './commands/events.js';
import { nodeCommands } from './commands/nodes.js';
import { rolloutCommands } from './commands/rollout.js';
import { streamCommands } from './commands/streams.js';
import { tokenCommands } from './commands/tokens.js';
import { workloadCommands } from './commands/workloads.js';

export const COMMANDS: readonly Command[] = [...authCommands, ...nodeCommands, ...workloadCommands, ...rolloutCommands, ...streamCommands, ...eventCommands, ...tokenCommands];

export function helpText(): string {
  return [
    'usage: berth [--server URL] [--token TOKEN] [-o table|json|yaml] COMMAND ...',
    '',
    ...COMMANDS.map((c) => `  ${`berth ${c.path.join(' ')} ${c.usage}`.trimEnd()}\n      ${c.summary}`),
    '',
    'The token comes from --token, else BERTH_TOKEN, else ~/.config/berth/config.json (berth login).',
    'Exit status: 0 success, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

/**
 * Takes the global flags out of argv (anywhere before a bare `--`); what is left is the
 * command path, its arguments and its own flags.
 */
export function splitGlobals(argv: readonly string[]): { globals: Omit<GlobalOptions, 'format'> & { output?: string; help: boolean }; rest: string[] } {
  const rest: string[] = [];
  const globals: Omit<GlobalOptions, 'format'> & { output?: string; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^(?:--(server|token|output|help)(?:=(.*))?|-(o|h)(.*))$/.exec(tok);
    if (!m) {
      rest.push(tok);
      continue;
    }
    const name = m[1] ?? (m[3] === 'o' ? 'output' : 'help');
    if (name === 'help') {
      globals.help = true;
      continue;
    }
    let value = m[2] ?? (m[4] ? m[4].replace(/^=/, '') : undefined);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw new UsageError(`flag --${name} needs a value`);
      i++;
    }
    globals[name as 'server' | 'token' | 'output'] = value;
  }
  return { globals, rest };
}

/** The command whose path is the longest prefix of `words`. */
export function findCommand(words: readonly string[]): { command: Command; args: string[] } {
  let best: Command | undefined;
  for (const c of COMMANDS) {
    if (c.path.every((p, i) => words[i] === p) && (best === undefined || c.path.length > best.path.length)) best = c;
  }
  if (best) return { command: best, args: words.slice(best.path.length) };
  const first = words[0];
  if (first === undefined) throw new UsageError('missing command');
  const under = COMMANDS.filter((c) => c.path[0] === first);
  if (under.length === 0) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const depth = words.findIndex((w, i) => !under.some((c) => c.path[i] === w));
  const prefix = words.slice(0, depth < 0 ? words.length : depth);
  const subs = [...new Set(under.filter((c) => prefix.every((p, i) => c.path[i] === p)).map((c) => c.path[prefix.length]).filter(Boolean))];
  const got = words[prefix.length];
  throw new UsageError(`${got === undefined ? 'missing' : `unknown`} subcommand of "${prefix.join(' ')}"${got === undefined ? '' : ` ${JSON.stringify(got)}`}: want one of ${subs.join(', ')}`);
}

export type RunDeps = Omit<Context, 'globals'>;

/** Runs one invocation; returns the exit status. Never throws. */
export async function run(argv: readonly string[], deps: RunDeps): Promise<number> {
  let command: Command | undefined;
  try {
    const { globals, rest } = splitGlobals(argv);
    if (rest.length === 0 || rest[0] === 'help') {
      if (globals.help || rest[0] === 'help') {
        deps.io.stdout(helpText());
        return 0;
      }
      deps.io.stderr(helpText());
      return 2;
    }
    const found = findCommand(rest);
    command = found.command;
    if (globals.help) {
      deps.io.stdout(`usage: berth ${command.path.join(' ')} ${command.usage}\n${command.summary}\n`);
      return 0;
    }
    const args = parseArgs(found.args, command.flags);
    const ctx: Context = {
      ...deps,
      globals: {
        format: parseOutputFormat(globals.output),
        ...(globals.server === undefined ? {} : { server: globals.server }),
        ...(globals.token === undefined ? {} : { token: globals.token }),
      },
    };
    return (await command.run(ctx, args)) ?? 0;
  } catch (err) {
    if (err instanceof CliError) {
      deps.io.stderr(`berth: ${err.message}\n`);
      if (err.exitCode === 2) {
        deps.io.stderr(command ? `usage: berth ${command.path.join(' ')} ${command.usage}\n` : "Run 'berth --help' for the commands.\n");
      }
      return err.exitCode;
    }
    deps.io.stderr(`berth: internal error: ${errorMessage(err)}\n`);
    return 1;
  }
}
