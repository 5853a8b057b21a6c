/**
 * berth-node's command-line parser, with Docker's conventions: `--flag value`, `--flag=value`,
 * `-f value`, grouped short booleans (`-it`, `-dq`), repeatable flags (`-e A=1 -e B=2`), `--`
 * ending options, and (for `run`) options ending at the first positional argument so the
 * container's command keeps its own flags.
 */
export interface FlagSpec {
  readonly name: string;
  /** One-letter alias, used as `-x`. */
  readonly short?: string;
  readonly kind: 'bool' | 'string' | 'list';
  readonly help?: string;
}

export interface Parsed {
  readonly bools: ReadonlySet<string>;
  readonly strings: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly rest: readonly string[];
}

/** Wrong usage: the CLI prints it as `failed to parse command line: <message>`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], opts: { stopAtFirstPositional?: boolean } = {}): Parsed {
  const long = new Map(specs.map((s) => [s.name, s]));
  const short = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const bools = new Set<string>();
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const rest: string[] = [];
  const take = (spec: FlagSpec, value: string) => {
    if (spec.kind === 'list') lists.set(spec.name, [...(lists.get(spec.name) ?? []), value]);
    else strings.set(spec.name, value);
  };
  const setBool = (spec: FlagSpec, raw: string | undefined, shown: string) => {
    if (raw === undefined || raw === 'true') bools.add(spec.name);
    else if (raw === 'false') bools.delete(spec.name);
    else throw new UsageError(`invalid boolean value ${JSON.stringify(raw)} for ${shown}`);
  };
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
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = a.slice(2, eq >= 0 ? eq : undefined);
      const spec = long.get(key);
      if (!spec) throw new UsageError(`unknown flag: --${key}`);
      if (spec.kind === 'bool') {
        setBool(spec, eq >= 0 ? a.slice(eq + 1) : undefined, `--${key}`);
        continue;
      }
      if (eq >= 0) take(spec, a.slice(eq + 1));
      else {
        if (i >= argv.length) throw new UsageError(`flag needs an argument: --${key}`);
        take(spec, argv[i++] as string);
      }
      continue;
    }
    // Short flags: -d, -dit, -e K=V, -eK=V, -w/dir.
    for (let j = 1; j < a.length; j++) {
      const ch = a[j] as string;
      const spec = short.get(ch);
      if (!spec) throw new UsageError(`unknown shorthand flag: '${ch}' in ${a}`);
      if (spec.kind === 'bool') {
        bools.add(spec.name);
        continue;
      }
      let value = a.slice(j + 1);
      if (value.startsWith('=')) value = value.slice(1);
      if (value === '') {
        if (i >= argv.length) throw new UsageError(`flag needs an argument: -${ch}`);
        value = argv[i++] as string;
      }
      take(spec, value);
      break;
    }
  }
  return { bools, strings, lists, rest };
}

/** Positional arguments count check with a message naming the command. */
export function expectArgs(cmd: string, rest: readonly string[], min: number, max: number, usage: string): void {
  if (rest.length < min || rest.length > max) {
    const want = min === max ? `exactly ${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`"${cmd}" requires ${want} argument${min === 1 && max === 1 ? '' : 's'}, got ${rest.length} (usage: berth-node ${cmd} ${usage})`);
  }
}

/** "512m", "1g", "1024" (bytes), as docker's --memory takes them (binary units). */
export function parseBytes(flag: string, s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid value ${JSON.stringify(s)} for --${flag}: want a size such as 512m or 1g`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

export function parseNumber(flag: string, s: string, integer: boolean): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`invalid value ${JSON.stringify(s)} for --${flag}: want ${integer ? 'a whole number' : 'a number'}`);
  }
  return n;
}

/** `berth-node: failed to <verb> <object>: <cause>`, one line. */
export function errorLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const text = err instanceof UsageError ? `failed to parse command line: ${msg}` : /^failed to /.test(msg) ? msg : `failed to run command: ${msg}`;
  return `berth-node: ${text.replace(/\s*\n\s*/g, ' ')}\n`;
}
