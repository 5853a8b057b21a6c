/**
 * A small command-line parser with runc's (urfave/cli) conventions: `--flag value`,
 * `--flag=value`, `-f value`, boolean flags, repeatable flags, and `--` ending options.
 */
export interface FlagSpec {
  name: string;
  alias?: string;
  kind: 'bool' | 'string' | 'list';
  default?: string;
}

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], specs: FlagSpec[], opts: { stopAtFirstPositional?: boolean } = {}): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.alias) byName.set(s.alias, s);
  }
  const flags = new Map<string, string | boolean | string[]>();
  for (const s of specs) {
    if (s.kind === 'list') flags.set(s.name, []);
    else if (s.default !== undefined) flags.set(s.name, s.default);
  }
  const rest: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++] as string;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      rest.push(a);
      if (opts.stopAtFirstPositional) {
        rest.push(...argv.slice(i));
        break;
      }
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(key);
    if (!spec) throw new UsageError(`flag provided but not defined: -${key}`);
    if (spec.kind === 'bool') {
      const v = eq >= 0 ? body.slice(eq + 1) : 'true';
      if (v !== 'true' && v !== 'false') throw new UsageError(`invalid boolean value ${JSON.stringify(v)} for -${key}`);
      flags.set(spec.name, v === 'true');
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i >= argv.length) throw new UsageError(`flag needs an argument: -${key}`);
      value = argv[i++] as string;
    }
    if (spec.kind === 'list') (flags.get(spec.name) as string[]).push(value);
    else flags.set(spec.name, value);
  }
  return { flags, rest };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
export function bool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}
export function list(p: Parsed, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : [];
}
