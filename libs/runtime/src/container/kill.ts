import { signalProcess } from '../process/index.js';
import type { RuntimeContext } from './context.js';
import { liveStatus, requireStatus } from './status.js';

export interface KillOptions {
  /** Send to every process in the container's cgroup, not only the init. */
  all?: boolean;
}

/** Parse `9`, `KILL`, `SIGKILL` (any case) into a signal number. */
export function parseSignal(s: string | number): number {
  if (typeof s === 'number') return s;
  const n = Number(s);
  if (Number.isInteger(n) && n > 0 && n < 65) return n;
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const known = SIGNALS[name];
  if (known === undefined) throw new RangeError(`unknown signal ${JSON.stringify(s)}`);
  return known;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21,
  SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

/** OCI `kill`: a created, running or paused container; a stopped one is an error. */
export async function killContainer(ctx: RuntimeContext, id: string, signal: string | number, opts: KillOptions = {}): Promise<void> {
  const sig = parseSignal(signal);
  const rec = await ctx.store.read(id);
  const status = await liveStatus(ctx, rec);
  requireStatus(rec, status, ['created', 'running', 'paused'], 'kill');
  if (opts.all) {
    const cg = ctx.openCgroup(id, rec.cgroupsPath ?? undefined);
    await cg.kill(sig);
    return;
  }
  await signalProcess(rec.initPid, sig);
}
