/**
 * Dockerfile syntax: logical lines (continuations, comments, the `escape` parser directive),
 * keywords, `--flag=value` options and the JSON (exec) form. Variable substitution is not done
 * here: it needs the base image's environment, so it happens when each step is resolved
 * (resolve.ts). Reference: https://docs.docker.com/reference/dockerfile/
 */
import { syntaxError, BuildError } from './errors.js';

export const KEYWORDS = [
  'FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'LABEL', 'EXPOSE', 'VOLUME',
  'CMD', 'ENTRYPOINT', 'STOPSIGNAL',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** Docker keywords this builder knows but refuses, with the reason given to the user. */
const REFUSED: Record<string, string> = {
  ONBUILD: 'ONBUILD is not supported',
  HEALTHCHECK: 'HEALTHCHECK is not supported',
  SHELL: 'SHELL is not supported; use the exec form of RUN instead',
  MAINTAINER: 'MAINTAINER is deprecated and not supported; use LABEL maintainer=...',
};

/** Flags each keyword accepts (name without `--`). */
const FLAGS: Partial<Record<Keyword, readonly string[]>> = {
  COPY: ['chown', 'chmod'],
  ADD: ['chown', 'chmod'],
};

export interface Instruction {
  /** 1-based line where the instruction starts. */
  readonly line: number;
  readonly keyword: Keyword;
  /** Arguments after the keyword and flags, continuations joined, not yet substituted. */
  readonly args: string;
  readonly flags: Readonly<Record<string, string>>;
  /** Set when the arguments are a JSON array of strings (exec form). */
  readonly json?: readonly string[];
}

export interface Dockerfile {
  /** The escape character (`\` or the `# escape=` directive's). */
  readonly escape: string;
  readonly instructions: readonly Instruction[];
}

interface LogicalLine {
  line: number;
  text: string;
}

/** Parser directives are `# key=value` comment lines at the very top. */
function directives(lines: string[]): { escape: string; first: number } {
  let escape = '\\';
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S*)\s*$/.exec(lines[i] ?? '');
    if (!m) break;
    const key = (m[1] ?? '').toLowerCase();
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw syntaxError(i + 1, 'escape', `the escape directive takes \\ or \`, not ${JSON.stringify(m[2])}`);
      escape = m[2];
    } else if (key !== 'syntax' && key !== 'check') {
      break;
    }
  }
  return { escape, first: i };
}

function logicalLines(text: string): { escape: string; lines: LogicalLine[] } {
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { escape, first } = directives(raw);
  const out: LogicalLine[] = [];
  let cur: LogicalLine | undefined;
  for (let i = first; i < raw.length; i++) {
    const l = raw[i] ?? '';
    const trimmed = l.trim();
    // Comment lines are dropped, also inside a continuation (as Docker does).
    if (trimmed.startsWith('#')) continue;
    if (cur === undefined && trimmed === '') continue;
    const body = l.replace(/\s+$/, '');
    const continues = body.endsWith(escape);
    const piece = continues ? body.slice(0, -1) : body;
    if (cur === undefined) cur = { line: i + 1, text: piece.replace(/^\s+/, '') };
    else cur.text += piece;
    if (!continues) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur !== undefined) {
    if (cur.text.trim() === '') return { escape, lines: out };
    out.push(cur);
  }
  return { escape, lines: out };
}

/** A JSON array of strings, or undefined (Docker falls back to the shell form then). */
export function parseJsonArray(s: string): string[] | undefined {
  const t = s.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

function takeFlags(line: number, keyword: Keyword, args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const m = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    const name = m[1] ?? '';
    if (keyword === 'FROM' || (keyword === 'COPY' && name === 'from')) {
      throw syntaxError(line, keyword, `--${name} is not supported (single-stage builds only)`);
    }
    if (!(FLAGS[keyword] ?? []).includes(name)) throw syntaxError(line, keyword, `unknown flag --${name}`);
    if (m[2] === undefined || m[2] === '') throw syntaxError(line, keyword, `flag --${name} needs a value (--${name}=...)`);
    flags[name] = m[2];
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Parses Dockerfile text into instructions; throws naming the line and instruction. */
export function parseDockerfile(text: string): Dockerfile {
  const { escape, lines } = logicalLines(text);
  const instructions: Instruction[] = [];
  for (const { line, text: l } of lines) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(l);
    const word = (m?.[1] ?? '').toUpperCase();
    if (REFUSED[word]) throw syntaxError(line, word, REFUSED[word]);
    if (!(KEYWORDS as readonly string[]).includes(word)) {
      throw syntaxError(line, m?.[1] ?? l, `unknown instruction ${JSON.stringify(m?.[1] ?? l)}`);
    }
    const keyword = word as Keyword;
    const { flags, rest } = takeFlags(line, keyword, (m?.[2] ?? '').trim());
    const args = rest.trim();
    if (args === '') throw syntaxError(line, keyword, `${keyword} needs arguments`);
    const json = parseJsonArray(args);
    instructions.push({ line, keyword, args, flags, ...(json ? { json } : {}) });
  }
  const first = instructions.findIndex((i) => i.keyword !== 'ARG');
  if (first === -1 || instructions[first]?.keyword !== 'FROM') {
    const at = instructions[first];
    throw new BuildError(
      'dockerfile_invalid',
      at
        ? `failed to parse Dockerfile line ${at.line} (${at.keyword}): the first instruction must be FROM (only ARG may precede it)`
        : 'failed to parse Dockerfile: it has no FROM instruction',
    );
  }
  const second = instructions.slice(first + 1).find((i) => i.keyword === 'FROM');
  if (second) throw syntaxError(second.line, 'FROM', 'multi-stage builds are not supported (a second FROM)');
  return { escape, instructions };
}
