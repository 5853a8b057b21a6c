import { createSyscalls } from '../sys/koffi.js';
import type { Syscalls } from '../sys/types.js';
import { signalNumber } from '../sys/signals.js';

export { signalNumber };

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
