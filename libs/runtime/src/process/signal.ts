import { constants } from 'node:os';
import { BerthError } from '../errors.js';
import { createSyscalls } from '../sys/koffi.js';
import type { Syscalls } from '../sys/types.js';

/** Signal number of a name (`SIGTERM`, `TERM`) or a number; throws on unknown names. */
export function signalNumber(signal: NodeJS.Signals | string | number): number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 0 || signal > 64) {
      throw new BerthError('invalid_signal', 'invalid_argument', `failed to parse signal: ${signal} is not a signal number`);
    }
    return signal;
  }
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals;
  const num = constants.signals[name] as number | undefined;
  if (num === undefined) throw new BerthError('invalid_signal', 'invalid_argument', `failed to parse signal: unknown signal "${signal}"`);
  return num;
}

let defaultSys: Syscalls | undefined;

/**
 * Sends `signal` to `pid` through a pidfd (pidfd_open + pidfd_send_signal), so a recycled pid
 * is never hit between lookup and delivery. Throws the Syscalls BerthError (ESRCH: category
 * not_found) when the process is gone.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals | string | number, sys?: Syscalls): void {
  const s = sys ?? (defaultSys ??= createSyscalls());
  const num = signalNumber(signal);
  const fd = s.pidfdOpen(pid);
  try {
    s.pidfdSendSignal(fd, num);
  } finally {
    s.close(fd);
  }
}
