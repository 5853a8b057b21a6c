import { UsageError } from './errors.js';

/** How one flag is spelled and what it takes. */
export interface FlagSpec {
  type: 'string' | 'boolean' | 'int';
  short?: string;
  /** May be given several times; the values are collected in order. */
  multiple?: boolean;
  /** For ints: the smallest accepted value. */
  min?: number;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | boolean | number | string[] | number[];

export interface ParsedArgs {
  flags: Record<string, FlagValue | undefined>;
  positionals: string[];
  /** Everything after a bare `--`, untouched (for `berth exec NAME -- CMD ARGS`). */
  rest: string[];
}

/**
 * Parses `argv` against `specs`: `--name value`, `--name=value`, `-n value`, boolean
 * `--name` (or `--name=true|false`), positionals anywhere, and a `--` terminator. An unknown
 * flag, a missing value or a bad integer is a UsageError naming the flag.
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') return { flags, positionals, rest: argv.slice(i + 1) };
    if (tok === '-' || !tok.startsWith('-') || /^-\d/.test(tok)) {
      positionals.push(tok);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      inline = eq < 0 ? undefined : tok.slice(eq + 1);
    } else {
      const s = tok.slice(1, 2);
      name = byShort.get(s);
      if (name === undefined) throw new UsageError(`unknown flag -${s}`);
      inline = tok.length > 2 ? tok.slice(tok[2] === '=' ? 3 : 2) : undefined;
    }
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown flag --${name}`);
    let raw: string;
    if (spec.type === 'boolean') {
      if (inline === undefined) raw = 'true';
      else if (inline === 'true' || inline === 'false') raw = inline;
      else throw new UsageError(`flag --${name} takes no value (or =true/=false), got ${JSON.stringify(inline)}`);
    } else if (inline !== undefined) {
      raw = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) throw new UsageError(`flag --${name} needs a value`);
      raw = next;
      i++;
    }
    const value = convert(name, spec, raw);
    if (spec.multiple) {
      const prev = flags[name];
      flags[name] = (Array.isArray(prev) ? [...prev, value] : [value]) as string[] | number[];
    } else {
      flags[name] = value;
    }
  }
  return { flags, positionals, rest: [] };
}

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  if (spec.type === 'boolean') return raw === 'true';
  if (spec.type === 'string') return raw;
  if (!/^-?\d{1,15}$/.test(raw)) throw new UsageError(`flag --${name} wants an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (spec.min !== undefined && n < spec.min) throw new UsageError(`flag --${name} must be at least ${spec.min}, got ${n}`);
  return n;
}

/** `30s`, `5m`, `1h`, `1m30s` or plain seconds -> milliseconds; UsageError otherwise. */
export function parseDuration(flag: string, raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const re = /(\d+)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
    total += Number(m[1]) * unit;
    end = re.lastIndex;
  }
  if (raw === '' || end !== raw.length) throw new UsageError(`flag --${flag} wants a duration such as 30s, 5m or 1h, got ${JSON.stringify(raw)}`);
  return total;
}

/** Typed accessors so commands need no casts. */
export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags[name];
  return typeof v === 'string' ? v : undefined;
}
export function bool(a: ParsedArgs, name: string): boolean {
  return a.flags[name] === true;
}
export function int(a: ParsedArgs, name: string): number | undefined {
  const v = a.flags[name];
  return typeof v === 'number' ? v : undefined;
}
export function strs(a: ParsedArgs, name: string): string[] {
  const v = a.flags[name];
  return Array.isArray(v) ? v.map(String) : [];
}

/** Exactly `names.length` positionals, or a UsageError naming what is missing or extra. */
export function expectPositionals(a: ParsedArgs, names: readonly string[], command: string): string[] {
  if (a.positionals.length < names.length) throw new UsageError(`${command}: missing ${names.slice(a.positionals.length).join(' ')}`);
  if (a.positionals.length > names.length) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(a.positionals[names.length])}`);
  return a.positionals;
}
