import { constants } from 'node:os';
import { BerthError } from '../errors.js';

/**
 * Signal number of a number, a numeric string, or a name with or without `SIG` in any case
 * (`9`, `"9"`, `"KILL"`, `"sigterm"`); the one parser every layer uses.
 */
export function signalNumber(signal: NodeJS.Signals | string | number): number {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (!Number.isInteger(n) || n < 0 || n > 64) {
      const why = typeof signal === 'number' ? `${signal} is not a signal number` : `unknown signal ${JSON.stringify(signal)}`;
      throw new BerthError('invalid_signal', 'invalid_argument', `failed to parse signal: ${why}`);
    }
    return n;
  }
  const upper = signal.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const num = (constants.signals as Record<string, number | undefined>)[name];
  if (num === undefined) throw new BerthError('invalid_signal', 'invalid_argument', `failed to parse signal: unknown signal ${JSON.stringify(signal)}`);
  return num;
}

/** The name of signal number `n` (`SIGKILL` for 9), or null for a number with no name. */
export function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(constants.signals)) if (num === n) return name as NodeJS.Signals;
  return null;
}
