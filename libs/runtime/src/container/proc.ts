import { readFile } from 'node:fs/promises';

/** Fields of /proc/<pid>/stat that the lifecycle needs (proc(5)). */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  /** Clock ticks after boot; with the pid it identifies one process across pid reuse. */
  startTime: number;
}

export function parseProcStat(text: string): ProcStat {
  // comm may contain spaces and ')' - the fields after the LAST ')' are fixed.
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text.slice(0, text.indexOf(' ')), 10);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    pid,
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    startTime: Number(rest[19]),
  };
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True while `pid` is the same, not yet exited process (zombies count as exited). */
export async function isAlive(pid: number, startTime: number): Promise<boolean> {
  if (pid <= 0) return false;
  const st = await readProcStat(pid);
  if (!st) return false;
  if (st.startTime !== startTime) return false;
  return st.state !== 'Z' && st.state !== 'X';
}

/**
 * Poll until the process has exited (or `timeoutMs` passes); returns whether it exited. The
 * processes waited for (a killed init, a shim writing its exit record) usually go within a
 * millisecond: the first checks follow each other at once, then the timer backs off.
 */
export async function waitGone(pid: number, startTime: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (let quick = 0; Date.now() < deadline; quick++) {
    if (!(await isAlive(pid, startTime))) return true;
    if (quick < 20) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
  return !(await isAlive(pid, startTime));
}
