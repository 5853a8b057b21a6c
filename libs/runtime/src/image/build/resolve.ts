/**
 * Resolves Dockerfile instructions one at a time against the build state: variable
 * substitution in the instructions Docker substitutes in (ADD COPY ENV EXPOSE FROM LABEL
 * STOPSIGNAL USER VOLUME WORKDIR, plus ARG defaults), image settings for metadata
 * instructions, and a typed step for the ones that change the filesystem. Pure: no I/O.
 */
import { posix } from 'node:path';
import type { ImageRuntimeConfig } from '../config.js';
import type { Instruction, Keyword } from './dockerfile.js';
import { syntaxError } from './errors.js';
import { ExpandError, keyValues, lexWord, lexWords, splitWords, type Vars } from './expand.js';

export interface Chown {
  /** Numeric id or a name to look up in the image's /etc/passwd (resp. /etc/group). */
  readonly user: string;
  readonly group?: string;
}

export type Step =
  | { readonly kind: 'from'; readonly image: string }
  | { readonly kind: 'run'; readonly args: readonly string[]; readonly env: readonly string[] }
  | {
      readonly kind: 'copy';
      readonly add: boolean;
      readonly sources: readonly string[];
      /** Absolute in the image; a trailing `/` means "into this directory". */
      readonly dest: string;
      readonly chown?: Chown;
      readonly chmod?: number;
    }
  | { readonly kind: 'workdir'; readonly path: string }
  | { readonly kind: 'meta' };

export interface ResolvedStep {
  readonly line: number;
  readonly keyword: Keyword;
  /** The instruction after substitution, as recorded in the image history. */
  readonly createdBy: string;
  readonly step: Step;
}

/** The image settings a build accumulates, in OCI config terms. */
export interface ImageSettings {
  env: Array<[string, string]>;
  workdir: string;
  user: string;
  labels: Record<string, string>;
  exposed: string[];
  volumes: string[];
  cmd?: string[];
  entrypoint?: string[];
  stopSignal?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SH = ['/bin/sh', '-c'];

export class BuildState {
  readonly settings: ImageSettings = { env: [], workdir: '/', user: '', labels: {}, exposed: [], volumes: [] };
  private readonly globalArgs = new Map<string, string | undefined>();
  private readonly args = new Map<string, string | undefined>();
  private cmdFromBase = false;
  private afterFrom = false;

  constructor(
    readonly buildArgs: ReadonlyMap<string, string>,
    readonly escape = '\\',
  ) {}

  /** Variables visible to substitution: declared ARGs overridden by ENV. */
  vars(): Vars {
    const v = new Map<string, string>();
    for (const [k, val] of this.afterFrom ? this.args : this.globalArgs) if (val !== undefined) v.set(k, val);
    if (this.afterFrom) for (const [k, val] of this.settings.env) v.set(k, val);
    return v;
  }

  /** Takes the base image's settings (after FROM has been resolved and the base fetched). */
  setBase(c: ImageRuntimeConfig): void {
    const s = this.settings;
    s.env = (c.Env ?? []).map((e) => {
      const eq = e.indexOf('=');
      return [e.slice(0, eq), e.slice(eq + 1)] as [string, string];
    });
    s.workdir = c.WorkingDir || '/';
    s.user = c.User ?? '';
    s.labels = { ...(c.Labels ?? {}) };
    s.exposed = Object.keys(c.ExposedPorts ?? {});
    s.volumes = Object.keys(c.Volumes ?? {});
    if (c.Cmd) s.cmd = [...c.Cmd];
    if (c.Entrypoint) s.entrypoint = [...c.Entrypoint];
    if (c.StopSignal) s.stopSignal = c.StopSignal;
    this.cmdFromBase = c.Cmd !== undefined;
  }

  /** Resolves one instruction; metadata instructions update {@link settings}. */
  resolve(inst: Instruction): ResolvedStep {
    try {
      return this.resolveInner(inst);
    } catch (err) {
      if (err instanceof ExpandError) throw syntaxError(inst.line, inst.keyword, err.message);
      throw err;
    }
  }

  private word(text: string): string {
    return lexWord(text.trim(), this.vars(), this.escape);
  }

  private list(inst: Instruction): string[] {
    return inst.json ? inst.json.map((w) => lexWord(w, this.vars(), this.escape)) : lexWords(inst.args, this.vars(), this.escape);
  }

  private resolveInner(inst: Instruction): ResolvedStep {
    const { line, keyword } = inst;
    const bad = (why: string) => syntaxError(line, keyword, why);
    const done = (createdBy: string, step: Step = { kind: 'meta' }): ResolvedStep => ({ line, keyword, createdBy, step });
    const s = this.settings;
    switch (keyword) {
      case 'ARG': {
        const out: string[] = [];
        for (const w of splitWords(inst.args, this.escape)) {
          const eq = w.indexOf('=');
          const name = eq === -1 ? w : w.slice(0, eq);
          if (!NAME.test(name)) throw bad(`invalid argument name ${JSON.stringify(name)}`);
          const dflt = eq === -1 ? undefined : lexWord(w.slice(eq + 1), this.vars(), this.escape);
          const target = this.afterFrom ? this.args : this.globalArgs;
          const inherited = this.afterFrom ? this.globalArgs.get(name) : undefined;
          target.set(name, this.buildArgs.get(name) ?? dflt ?? inherited);
          out.push(dflt === undefined ? name : `${name}=${dflt}`);
        }
        return done(`ARG ${out.join(' ')}`);
      }
      case 'FROM': {
        const words = lexWords(inst.args, this.vars(), this.escape);
        if (words.length === 3 && words[1]?.toUpperCase() === 'AS') throw bad(`"AS ${words[2]}" names a build stage; multi-stage builds are not supported`);
        if (words.length !== 1 || !words[0]) throw bad(`expected one image reference, got ${JSON.stringify(inst.args)}`);
        this.afterFrom = true;
        return done(`FROM ${words[0]}`, { kind: 'from', image: words[0] });
      }
      case 'RUN': {
        const args = inst.json ? [...inst.json] : [...SH, inst.args];
        if (args.length === 0 || args[0] === '') throw bad('RUN needs a command');
        const env = new Map<string, string>();
        for (const [k, v] of this.args) if (v !== undefined) env.set(k, v);
        for (const [k, v] of s.env) env.set(k, v);
        return done(`RUN ${inst.json ? JSON.stringify(args) : args.join(' ')}`, { kind: 'run', args, env: [...env].map(([k, v]) => `${k}=${v}`) });
      }
      case 'COPY':
      case 'ADD': {
        const words = this.list(inst);
        if (words.length < 2) throw bad(`${keyword} needs at least one source and a destination`);
        const sources = words.slice(0, -1);
        let dest = words[words.length - 1] ?? '';
        for (const src of sources) {
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || src.startsWith('git@')) {
            throw bad(`source ${JSON.stringify(src)} is a URL; only local files from the build context are supported`);
          }
          if (src === '') throw bad('empty source path');
        }
        if (dest === '') throw bad('empty destination path');
        const dirDest = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
        if (sources.length > 1 && !dirDest) throw bad(`with several sources the destination must be a directory ending in "/", got ${JSON.stringify(dest)}`);
        dest = posix.resolve(s.workdir, dest) + (dirDest && dest !== '/' ? '/' : '');
        const step: { kind: 'copy'; add: boolean; sources: string[]; dest: string; chown?: Chown; chmod?: number } = { kind: 'copy', add: keyword === 'ADD', sources, dest };
        const flags: string[] = [];
        if (inst.flags.chown !== undefined) {
          const [user, group, extra] = this.word(inst.flags.chown).split(':');
          if (!user || extra !== undefined || group === '') throw bad(`--chown=${inst.flags.chown} must be user[:group]`);
          step.chown = group === undefined ? { user } : { user, group };
          flags.push(`--chown=${inst.flags.chown}`);
        }
        if (inst.flags.chmod !== undefined) {
          if (!/^[0-7]{3,4}$/.test(inst.flags.chmod)) throw bad(`--chmod=${inst.flags.chmod} must be an octal mode such as 755`);
          step.chmod = Number.parseInt(inst.flags.chmod, 8);
          flags.push(`--chmod=${inst.flags.chmod}`);
        }
        return done(`${keyword} ${[...flags, ...sources, dest].join(' ')}`, step);
      }
      case 'ENV': {
        const pairs = keyValues(inst.args, this.vars(), this.escape, 'ENV');
        for (const [k, v] of pairs) {
          if (!NAME.test(k)) throw bad(`invalid variable name ${JSON.stringify(k)}`);
          const i = s.env.findIndex(([n]) => n === k);
          if (i === -1) s.env.push([k, v]);
          else s.env[i] = [k, v];
        }
        return done(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'LABEL': {
        const pairs = keyValues(inst.args, this.vars(), this.escape, 'LABEL');
        for (const [k, v] of pairs) {
          if (k === '') throw bad('empty label key');
          s.labels[k] = v;
        }
        return done(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'WORKDIR': {
        const p = this.word(inst.args);
        if (p === '') throw bad('empty path');
        s.workdir = posix.resolve(s.workdir, p);
        return done(`WORKDIR ${s.workdir}`, { kind: 'workdir', path: s.workdir });
      }
      case 'USER': {
        const u = this.word(inst.args);
        const [user, group, extra] = u.split(':');
        if (!user || extra !== undefined || group === '' || /\s/.test(u)) throw bad(`expected user[:group], got ${JSON.stringify(u)}`);
        s.user = u;
        return done(`USER ${u}`);
      }
      case 'EXPOSE': {
        const ports = this.list(inst).map((p) => exposedPort(p, bad));
        for (const p of ports) if (!s.exposed.includes(p)) s.exposed.push(p);
        return done(`EXPOSE ${ports.join(' ')}`);
      }
      case 'VOLUME': {
        const vols = this.list(inst);
        for (const v of vols) {
          if (v.trim() === '') throw bad('empty volume path');
          if (!s.volumes.includes(v)) s.volumes.push(v);
        }
        return done(`VOLUME ${JSON.stringify(vols)}`);
      }
      case 'CMD':
      case 'ENTRYPOINT': {
        const cmd = inst.json ? [...inst.json] : [...SH, inst.args];
        if (keyword === 'CMD') {
          s.cmd = cmd;
          this.cmdFromBase = false;
        } else {
          s.entrypoint = cmd;
          // Docker: an ENTRYPOINT resets a CMD inherited from the base image.
          if (this.cmdFromBase) delete s.cmd;
          this.cmdFromBase = false;
        }
        return done(`${keyword} ${JSON.stringify(cmd)}`);
      }
      case 'STOPSIGNAL': {
        const sig = this.word(inst.args);
        if (!/^(SIG[A-Z0-9+-]+|[0-9]+)$/.test(sig)) throw bad(`invalid signal ${JSON.stringify(sig)}`);
        s.stopSignal = sig;
        return done(`STOPSIGNAL ${sig}`);
      }
    }
  }
}

function exposedPort(p: string, bad: (why: string) => Error): string {
  const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(p);
  const proto = (m?.[3] ?? 'tcp').toLowerCase();
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 1 || hi > 65535 || hi < lo || !['tcp', 'udp', 'sctp'].includes(proto)) {
    throw bad(`invalid port ${JSON.stringify(p)}: expected port[-port][/tcp|udp|sctp] with ports 1-65535`);
  }
  return `${m[1]}${m[2] !== undefined ? `-${m[2]}` : ''}/${proto}`;
}
