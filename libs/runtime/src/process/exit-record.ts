/**
 * The exit record the shim's supervisor writes (tmp + rename, so a reader sees all or nothing):
 *
 *   exit_code=N\nsignal=N\noom_killed=0|1\nfinished_at=<unix nanos>\n
 */
import { readFileSync } from 'node:fs';
import { BerthError, isNotFound } from '../errors.js';
import type { ExitRecord } from './types.js';

/** Parses an exit record's text; throws BerthError 'invalid_exit_record' naming the bad field. */
export function parseExitRecord(text: string, path = 'exit record'): ExitRecord {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw bad(path, `line "${line}" is not key=value`);
    fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const int = (key: string): string => {
    const v = fields.get(key);
    if (v === undefined) throw bad(path, `missing ${key}`);
    if (!/^-?\d+$/.test(v)) throw bad(path, `${key}=${v} is not an integer`);
    return v;
  };
  const exitCode = Number(int('exit_code'));
  const signal = Number(int('signal'));
  const oom = int('oom_killed');
  if (oom !== '0' && oom !== '1') throw bad(path, `oom_killed=${oom} is not 0 or 1`);
  const rec: ExitRecord = { exitCode, oomKilled: oom === '1', finishedAt: BigInt(int('finished_at')) };
  if (signal !== 0) rec.signal = signal;
  return rec;
}

function bad(path: string, why: string): BerthError {
  return new BerthError('invalid_exit_record', 'internal', `failed to parse exit record ${path}: ${why}`, { path });
}

/** The exit record at `path`, or undefined while the process has not exited. */
export async function readExitRecord(path: string): Promise<ExitRecord | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8'); // a few dozen bytes on a local disk: no thread-pool round trip
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new BerthError('exit_record_unreadable', 'internal', `failed to read exit record ${path}: ${String(err)}`, { cause: err, path });
  }
  return parseExitRecord(text, path);
}
