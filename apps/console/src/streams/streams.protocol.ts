/**
 * The console's WebSocket protocol (see README.md in this folder): one stream per socket,
 * chosen by the upgrade path and its query; one JSON object per text message.
 */
import type { EventFilter, FleetRecordedEvent } from '../events/index.js';
import type { FleetEventKind } from '../fleet/fleet-events.js';
import type { Role } from '../auth/roles.js';
import { invalidMessage, invalidQuery } from './streams.errors.js';

export type StreamRequest =
  | { kind: 'logs'; assignmentId: string; follow: boolean; tailLines: number; sinceUnixMs: number; timestamps: boolean }
  | { kind: 'stats'; assignmentId: string; intervalMs: number; stream: boolean }
  | { kind: 'exec'; assignmentId: string; command: string[]; tty: boolean; stdin: boolean; columns: number; rows: number }
  | { kind: 'events'; kinds: FleetEventKind[]; ids: string[] }
  /** Recorded events (GET /api/v1/events) after `after`, then as they are recorded; no `after`: from now on. */
  | { kind: 'records'; after?: number; filter: EventFilter };

/** Server -> client. */
export type ServerMessage =
  | { type: 'log'; stream: string; time?: string; line: string; partial?: boolean }
  | { type: 'stats'; time: string; cpuUsageMicros: number; memoryUsageBytes: number; memoryWorkingSetBytes: number; memoryLimitBytes: number; pids: number; networkRxBytes: number; networkTxBytes: number; blockReadBytes: number; blockWriteBytes: number }
  | { type: 'output'; stream: string; data: string }
  | { type: 'exit'; exitCode: number }
  | { type: 'event'; kind: FleetEventKind; id: string; revision: number; nodeId?: string; removed?: true; revoked?: true }
  | { type: 'record'; event: FleetRecordedEvent }
  | { type: 'end' }
  | { type: 'error'; code: string; message: string };

/** Client -> server, on exec streams only. */
export type ClientMessage =
  | { type: 'stdin'; data: string }
  | { type: 'stdin-eof' }
  | { type: 'resize'; columns: number; rows: number };

export const CLIENT_MESSAGE_TYPES = ['stdin', 'stdin-eof', 'resize'] as const;

/** Path of the events stream; also the gateway's own path. */
export const EVENTS_STREAM_PATH = '/api/v1/events/stream';
/** Path of the recorded-events watch (`berth events --watch`). */
export const EVENT_RECORDS_PATH = '/api/v1/events/watch';
const ASSIGNMENT_STREAM = /^\/api\/v1\/assignments\/([^/]+)\/(logs|stats|exec)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FLEET_KINDS: readonly FleetEventKind[] = ['workload', 'assignment', 'node', 'status', 'event'];

/** True when `pathname` is one of the stream endpoints (the adapter routes only these). */
export function isStreamPath(pathname: string): boolean {
  return pathname === EVENTS_STREAM_PATH || pathname === EVENT_RECORDS_PATH || ASSIGNMENT_STREAM.test(pathname);
}

/** The role a stream needs: exec runs commands, so operator; the rest only read. */
export function requiredRole(req: StreamRequest): Role {
  return req.kind === 'exec' ? 'operator' : 'viewer';
}

/** Parses an upgrade URL ("/api/v1/assignments/<id>/logs?follow=true&tail=10"). */
export function parseStreamUrl(rawUrl: string): StreamRequest {
  const url = new URL(rawUrl, 'http://console.invalid');
  const q = url.searchParams;
  if (url.pathname === EVENTS_STREAM_PATH) {
    const kinds = list(q, 'kind');
    for (const k of kinds) if (!(FLEET_KINDS as readonly string[]).includes(k)) throw invalidQuery('kind', `${JSON.stringify(k)} is not one of ${FLEET_KINDS.join(', ')}`);
    allowOnly(q, ['kind', 'id']);
    return { kind: 'events', kinds: kinds as FleetEventKind[], ids: list(q, 'id') };
  }
  if (url.pathname === EVENT_RECORDS_PATH) return parseRecords(q);
  const m = ASSIGNMENT_STREAM.exec(url.pathname);
  if (!m?.[1] || !m[2]) throw invalidQuery('path', `${JSON.stringify(url.pathname)} is not a stream`);
  const assignmentId = decodeURIComponent(m[1]);
  if (!UUID.test(assignmentId)) throw invalidQuery('assignment', `${JSON.stringify(assignmentId)} is not an assignment id (UUID)`);
  switch (m[2]) {
    case 'logs':
      allowOnly(q, ['follow', 'tail', 'since', 'timestamps']);
      return { kind: 'logs', assignmentId, follow: bool(q, 'follow'), tailLines: int(q, 'tail', 0, 1_000_000), sinceUnixMs: since(q), timestamps: bool(q, 'timestamps') };
    case 'stats':
      allowOnly(q, ['interval', 'stream']);
      return { kind: 'stats', assignmentId, intervalMs: int(q, 'interval', 0, 3_600_000), stream: q.has('stream') ? bool(q, 'stream') : true };
    default: {
      allowOnly(q, ['command', 'tty', 'stdin', 'columns', 'rows']);
      const command = q.getAll('command');
      if (command.length === 0 || command[0] === '') throw invalidQuery('command', 'give the program and its arguments as repeated command= parameters');
      return { kind: 'exec', assignmentId, command, tty: bool(q, 'tty'), stdin: bool(q, 'stdin'), columns: int(q, 'columns', 0, 10_000), rows: int(q, 'rows', 0, 10_000) };
    }
  }
}

/** Validates one client message; `undefined` fields are refused with the field named. */
export function parseClientMessage(text: string): ClientMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw invalidMessage('message', `it is not JSON (${(err as Error).message})`, 'malformed_json');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidMessage('message', 'it must be a JSON object with a "type"');
  const o = m as Record<string, unknown>;
  if (typeof o['type'] !== 'string') throw invalidMessage('type', 'it is missing or not a string');
  switch (o['type']) {
    case 'stdin': {
      const d = o['data'];
      if (typeof d !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(d) || d.length % 4 !== 0) throw invalidMessage('data', 'stdin data must be a base64 string');
      return { type: 'stdin', data: d };
    }
    case 'stdin-eof':
      return { type: 'stdin-eof' };
    case 'resize': {
      const { columns, rows } = o;
      for (const [k, v] of [['columns', columns], ['rows', rows]] as const) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10_000) throw invalidMessage(k, 'it must be an integer from 1 to 10000');
      }
      return { type: 'resize', columns: columns as number, rows: rows as number };
    }
    default:
      throw invalidMessage('type', `unknown message type ${JSON.stringify(o['type'])}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`, 'unknown_message_type');
  }
}

/** The REST list's filters (kind, object, type) plus `after`, the last event id the client has. */
function parseRecords(q: URLSearchParams): StreamRequest {
  allowOnly(q, ['after', 'kind', 'object', 'type']);
  const filter: EventFilter = {};
  const text = (name: string, max: number): string | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    if (v === '' || v.length > max) throw invalidQuery(name, `it must be 1 to ${max} characters`);
    return v;
  };
  const kind = text('kind', 64);
  const object = text('object', 253);
  const type = q.get('type');
  if (kind !== undefined) filter.objectKind = kind;
  if (object !== undefined) filter.objectId = object;
  if (type !== null) {
    if (type !== 'Normal' && type !== 'Warning') throw invalidQuery('type', `${JSON.stringify(type)} is not Normal or Warning`);
    filter.type = type;
  }
  return q.has('after') ? { kind: 'records', after: int(q, 'after', 0, Number.MAX_SAFE_INTEGER), filter } : { kind: 'records', filter };
}

function allowOnly(q: URLSearchParams, known: string[]): void {
  for (const k of q.keys()) if (!known.includes(k)) throw invalidQuery(k, `unknown parameter; expected ${known.join(', ')}`);
}

function list(q: URLSearchParams, name: string): string[] {
  return q.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw invalidQuery(name, `${JSON.stringify(v)} is not true or false`);
}

function int(q: URLSearchParams, name: string, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return 0;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw invalidQuery(name, `${JSON.stringify(v)} is not an integer from ${min} to ${max}`);
  return n;
}

/** `since`: RFC 3339 time, milliseconds since the epoch, or a duration back from now (90s, 5m, 2h). */
function since(q: URLSearchParams, now = Date.now()): number {
  const v = q.get('since');
  if (v === null) return 0;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\d/.test(v)) throw invalidQuery('since', `${JSON.stringify(v)} is not a time (RFC 3339), epoch milliseconds or a duration like 5m`);
  return t;
}
