/**
 * Dockerfile variable substitution and word handling, after Docker's shell lexer
 * (https://docs.docker.com/reference/dockerfile/#environment-replacement): `$VAR`, `${VAR}`,
 * `${VAR:-word}`, `${VAR:+word}` (and `-`/`+` without the colon), single quotes literal,
 * double quotes expand, the escape character makes the next character literal.
 */

export type Vars = ReadonlyMap<string, string>;

export class ExpandError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Splits on unquoted whitespace, keeping quotes and escapes for {@link lexWord}. */
export function splitWords(text: string, escape: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote === undefined && /\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += c;
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      cur += text[++i];
      continue;
    }
    if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (quote === c) quote = undefined;
  }
  if (quote !== undefined) throw new ExpandError(`unterminated ${quote} quote`);
  if (inWord) out.push(cur);
  return out;
}

class Lexer {
  i = 0;
  constructor(
    readonly s: string,
    readonly vars: Vars,
    readonly escape: string,
  ) {}

  /** Reads up to `stop` (a char in ${...}) or the end; removes quotes, expands variables. */
  word(stop?: string): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i] ?? '';
      if (stop !== undefined && c === stop) return out;
      this.i++;
      if (c === this.escape) {
        if (this.i < this.s.length) out += this.s[this.i++];
        else out += c;
      } else if (c === "'") {
        const end = this.s.indexOf("'", this.i);
        if (end === -1) throw new ExpandError('unterminated \' quote');
        out += this.s.slice(this.i, end);
        this.i = end + 1;
      } else if (c === '"') {
        out += this.doubleQuoted();
      } else if (c === '$') {
        out += this.dollar();
      } else {
        out += c;
      }
    }
    if (stop !== undefined) throw new ExpandError(`missing "${stop}" in variable substitution`);
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++] ?? '';
      if (c === '"') return out;
      if (c === this.escape && this.i < this.s.length) {
        const n = this.s[this.i] ?? '';
        // Inside double quotes only these are escapable (as in sh); otherwise keep both.
        if (n === '"' || n === '$' || n === this.escape) {
          out += n;
          this.i++;
        } else out += c;
      } else if (c === '$') {
        out += this.dollar();
      } else out += c;
    }
    throw new ExpandError('unterminated " quote');
  }

  private dollar(): string {
    const c = this.s[this.i] ?? '';
    if (c === '{') {
      this.i++;
      const start = this.i;
      while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i] ?? '')) this.i++;
      const name = this.s.slice(start, this.i);
      if (name === '' || !NAME_START.test(name[0] ?? '')) throw new ExpandError(`bad substitution at "\${${this.s.slice(start, start + 10)}"`);
      const value = this.vars.get(name);
      if (this.s[this.i] === '}') {
        this.i++;
        return value ?? '';
      }
      let op = this.s[this.i] ?? '';
      const colon = op === ':';
      if (colon) op = this.s[++this.i] ?? '';
      if (op !== '-' && op !== '+') throw new ExpandError(`unsupported modifier "${colon ? ':' : ''}${op}" in \${${name}...}`);
      this.i++;
      const word = this.word('}');
      this.i++;
      const set = colon ? value !== undefined && value !== '' : value !== undefined;
      if (op === '-') return set ? value ?? '' : word;
      return set ? word : '';
    }
    if (NAME_START.test(c)) {
      const start = this.i;
      while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i] ?? '')) this.i++;
      return this.vars.get(this.s.slice(start, this.i)) ?? '';
    }
    return '$';
  }
}

/** Substitutes variables in one word and removes its quotes and escapes. */
export function lexWord(word: string, vars: Vars, escape: string): string {
  return new Lexer(word, vars, escape).word();
}

/** splitWords, then lexWord on each: the argument list of COPY, EXPOSE, VOLUME, ... */
export function lexWords(text: string, vars: Vars, escape: string): string[] {
  return splitWords(text, escape).map((w) => lexWord(w, vars, escape));
}

/** Pairs `k=v k2="v 2"` (or the legacy `k v with spaces` when `legacy` allows it). */
export function keyValues(text: string, vars: Vars, escape: string, what: string): Array<[string, string]> {
  const words = splitWords(text, escape);
  const first = words[0] ?? '';
  if (!first.includes('=')) {
    // Legacy form: `ENV key value with spaces` (one pair, the rest of the line is the value).
    if (words.length < 2) throw new ExpandError(`${what} needs a value: use ${what} key=value`);
    const rest = text.trim().slice(first.length).trim();
    return [[lexWord(first, vars, escape), lexWord(rest, vars, escape)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ExpandError(`${JSON.stringify(w)} is not of the form key=value`);
    return [lexWord(w.slice(0, eq), vars, escape), lexWord(w.slice(eq + 1), vars, escape)];
  });
}
