import { WebSocket, type RawData } from 'ws';
import { bool, int, str } from '../args.js';
import { ApiError, CliError, UsageError, errorMessage } from '../errors.js';
import type { Assignment, FleetEvent } from '../types.js';
import { resolveTarget, seg, type Command, type Context } from './context.js';

/**
 * Logs and exec travel over WebSockets (DESIGN.md: the console relays the agents' log and
 * exec streams). The CLI's side of the protocol, one JSON object per text message:
 *   logs  GET /api/v1/assignments/{id}/logs?follow=&tail=&since=&timestamps=
 *         server: {type:"log", stream, time, line, partial} ... {type:"end"} | {type:"error", code, message}
 *   exec  GET /api/v1/assignments/{id}/exec?command=ARG&command=ARG...&tty=&stdin=&columns=&rows=
 *         client: {type:"stdin", data: base64} | {type:"stdin-eof"} | {type:"resize", columns, rows}
 *         server: {type:"output", stream, data: base64} ... {type:"exit", exitCode} | {type:"error", code, message}
 *   events GET /api/v1/events/watch?after=ID&kind=&object=&type=   (berth events --watch, events.ts)
 *         server: {type:"record", event} ... | {type:"error", code, message}
 * Authentication is the same bearer token (or session cookie) as REST, in the upgrade request.
 */
export type ServerMessage =
  | { type: 'log'; stream: string; time?: string; line: string; partial?: boolean }
  | { type: 'output'; stream: string; data: string }
  | { type: 'exit'; exitCode: number }
  | { type: 'record'; event: FleetEvent }
  | { type: 'end' }
  | { type: 'error'; code: string; message: string };

/** The console ended the stream with an error frame; `code` is its stable code. */
export class StreamFrameError extends CliError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StreamFrameError';
  }
}

/** The socket failed below the protocol (refused, reset, TLS): worth a retry for long-lived watches. */
export class StreamConnectionError extends CliError {
  constructor(message: string, cause: unknown) {
    super(message, 1, { cause });
    this.name = 'StreamConnectionError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An assignment id as given, or the running replicas of a workload (by replica index). */
async function targets(ctx: Context, server: string, headers: Record<string, string>, ref: string): Promise<{ id: string; label: string }[]> {
  if (UUID.test(ref)) return [{ id: ref, label: ref }];
  const url = new URL(`${server}/api/v1/assignments`);
  url.searchParams.set('workload', ref);
  url.searchParams.set('desiredState', 'running');
  url.searchParams.set('limit', '500');
  const res = await ctx.fetch(url, { headers: { ...headers, accept: 'application/json' } }).catch((err: unknown) => {
    throw new CliError(`failed to reach console at ${server}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
  });
  const body = (await res.json().catch(() => undefined)) as { items?: Assignment[]; message?: string; code?: string } | undefined;
  if (!res.ok) throw new ApiError(res.status, body?.code ?? `http_${res.status}`, body?.message ?? `failed to list replicas of workload ${JSON.stringify(ref)}: HTTP ${res.status}`);
  const items = [...(body?.items ?? [])].sort((a, b) => a.replicaIndex - b.replicaIndex);
  if (items.length === 0) throw new CliError(`failed to find replicas of workload ${JSON.stringify(ref)}: none is placed to run`);
  return items.map((a) => ({ id: a.id, label: `${a.workloadName}-${a.replicaIndex}` }));
}

export async function authHeaders(ctx: Context): Promise<{ server: string; headers: Record<string, string> }> {
  const t = await resolveTarget(ctx);
  if (t.token !== undefined) return { server: t.server, headers: { authorization: `Bearer ${t.token}` } };
  if (t.session !== undefined) return { server: t.server, headers: { cookie: `berth_session=${t.session}` } };
  throw new CliError(`not logged in to ${t.server}: run 'berth login --server ${t.server}' or set BERTH_TOKEN`);
}

/**
 * Opens the socket and feeds each server message to `onMessage` until it returns a value,
 * an `end` arrives, the socket closes or `signal` aborts (then it resolves undefined). Listeners are attached before the upgrade completes:
 * the server may send right away, in the same read as the upgrade response. An HTTP answer
 * instead of an upgrade becomes an ApiError (a 404 route_not_found: the console lacks the route).
 */
export function stream<T>(
  url: URL,
  headers: Record<string, string>,
  what: string,
  onMessage: (m: ServerMessage) => T | undefined,
  onOpen?: (ws: WebSocket) => void,
  signal?: AbortSignal,
): Promise<T | undefined> {
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      finish(undefined);
      if (ws.readyState === ws.OPEN) ws.close();
      else ws.terminate();
    };
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    if (signal?.aborted) return resolve(undefined);
    const ws = new WebSocket(url, { headers });
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => onOpen?.(ws));
    ws.on('message', (data) => {
      if (settled) return;
      try {
        const m = parseMessage(data);
        if (m.type === 'error') throw new StreamFrameError(m.code, `failed to ${what}: ${m.message}`);
        const r = onMessage(m);
        if (r !== undefined || m.type === 'end') {
          ws.close();
          finish(undefined, r);
        }
      } catch (err) {
        ws.terminate();
        finish(err);
      }
    });
    ws.once('close', () => finish(undefined));
    ws.on('error', (err) => finish(new StreamConnectionError(`failed to ${what}: ${errorMessage(err)}`, err)));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        ws.terminate();
        let body: { code?: string; message?: string } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          /* not JSON */
        }
        const status = res.statusCode ?? 0;
        if (status === 404 && (body.code === undefined || body.code === 'route_not_found')) {
          finish(new CliError(`failed to ${what}: the console at ${url.host} does not serve ${url.pathname} over WebSocket (HTTP 404)`));
        } else {
          finish(new ApiError(status, body.code ?? `http_${status}`, body.message ?? `failed to ${what}: HTTP ${status}`));
        }
      });
    });
  });
}

export function parseMessage(data: RawData): ServerMessage {
  let m: unknown;
  try {
    m = JSON.parse(data.toString());
  } catch {
    throw new CliError('failed to read stream: the console sent a message that is not JSON');
  }
  const t = (m as { type?: unknown } | null)?.type;
  if (typeof t !== 'string' || !['log', 'output', 'exit', 'record', 'end', 'error'].includes(t)) throw new CliError(`failed to read stream: unknown message type ${JSON.stringify(t)}`);
  if (t === 'record' && typeof (m as { event?: { id?: unknown } }).event?.id !== 'number') throw new CliError('failed to read stream: a record message without an event id');
  return m as ServerMessage;
}

const logs: Command = {
  path: ['logs'],
  usage: '[-f] [--tail N] [--since 5m|RFC3339] [--timestamps] WORKLOAD|ASSIGNMENT-ID',
  summary: "print a replica's container logs (every running replica of a workload, prefixed)",
  flags: { follow: { type: 'boolean', short: 'f' }, tail: { type: 'int', min: 0 }, since: { type: 'string' }, timestamps: { type: 'boolean' } },
  async run(ctx, args) {
    const [ref, extra] = args.positionals;
    if (ref === undefined) throw new UsageError('logs: missing WORKLOAD or ASSIGNMENT-ID');
    if (extra !== undefined) throw new UsageError(`logs: unexpected argument ${JSON.stringify(extra)}`);
    const { server, headers } = await authHeaders(ctx);
    const list = await targets(ctx, server, headers, ref);
    const prefix = list.length > 1;
    await Promise.all(
      list.map(async (t) => {
        const url = new URL(`${server}/api/v1/assignments/${seg(t.id)}/logs`);
        url.searchParams.set('follow', String(bool(args, 'follow')));
        const tail = int(args, 'tail');
        if (tail !== undefined) url.searchParams.set('tail', String(tail));
        const since = str(args, 'since');
        if (since !== undefined) url.searchParams.set('since', since);
        if (bool(args, 'timestamps')) url.searchParams.set('timestamps', 'true');
        await stream(url, headers, `stream logs of ${t.label}`, (m) => {
          if (m.type !== 'log') return undefined;
          const line = `${prefix ? `[${t.label}] ` : ''}${bool(args, 'timestamps') && m.time ? `${m.time} ` : ''}${m.line}${m.partial ? '' : '\n'}`;
          if (m.stream === 'stderr') ctx.io.stderr(line);
          else ctx.io.stdout(line);
          return undefined;
        });
      }),
    );
  },
};

const exec: Command = {
  path: ['exec'],
  usage: '[-i] [-t] WORKLOAD|ASSIGNMENT-ID -- COMMAND [ARG...]',
  summary: "run a command in a replica's container (a workload's first running replica); exits with its status",
  flags: { stdin: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' } },
  async run(ctx, args) {
    const [ref, ...more] = args.positionals;
    if (ref === undefined) throw new UsageError('exec: missing WORKLOAD or ASSIGNMENT-ID');
    const command = [...more, ...args.rest];
    if (command.length === 0) throw new UsageError('exec: missing COMMAND (after --)');
    const { server, headers } = await authHeaders(ctx);
    const [t] = await targets(ctx, server, headers, ref);
    const url = new URL(`${server}/api/v1/assignments/${seg(t!.id)}/exec`);
    for (const c of command) url.searchParams.append('command', c);
    const tty = bool(args, 'tty');
    const interactive = bool(args, 'stdin');
    url.searchParams.set('tty', String(tty));
    url.searchParams.set('stdin', String(interactive));
    const size = tty ? ctx.io.terminalSize?.() : undefined;
    if (size) {
      url.searchParams.set('columns', String(size.columns));
      url.searchParams.set('rows', String(size.rows));
    }
    const stdin = interactive ? ctx.io.stdin : undefined;
    let socket: WebSocket | undefined;
    const onData = (chunk: Buffer | string) => socket?.send(JSON.stringify({ type: 'stdin', data: Buffer.from(chunk).toString('base64') }));
    const onEnd = () => socket?.send(JSON.stringify({ type: 'stdin-eof' }));
    const onOpen = (ws: WebSocket) => {
      socket = ws;
      if (tty && ctx.io.isTTY) ctx.io.setRawMode?.(true);
      stdin?.on('data', onData);
      stdin?.once('end', onEnd);
    };
    try {
      const code = await stream(url, headers, `exec in ${t!.label}`, (m) => {
        if (m.type === 'output') (m.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout)(Buffer.from(m.data, 'base64'));
        return m.type === 'exit' ? m.exitCode : undefined;
      }, onOpen);
      if (code === undefined) throw new CliError(`failed to exec in ${t!.label}: the stream closed before the command exited`);
      return code;
    } finally {
      stdin?.off('data', onData);
      stdin?.off('end', onEnd);
      stdin?.pause?.();
      if (tty && ctx.io.isTTY) ctx.io.setRawMode?.(false);
    }
  },
};

export const streamCommands: Command[] = [logs, exec];
