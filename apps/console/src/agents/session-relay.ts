/**
 * Relays over the Session stream: each agent keeps one bidi stream open; the console opens
 * logical sessions on it (logs, stats, exec) identified by a session id, and frames from the
 * agent are routed back to the session that asked. Browser-facing code (WebSocket gateway,
 * REST) uses `open` and reads `frames`.
 */
import { randomUUID } from 'node:crypto';
import type { AgentFrame, ConsoleFrame } from '@berth/proto';
import { ConsoleError } from '../common/errors.js';

/** The part of a grpc-js duplex stream the relay uses. */
export interface SessionSink {
  write(frame: ConsoleFrame): boolean;
  /** Ends the stream with a gRPC error (grpc-js server streams). */
  emit?(event: 'error', err: unknown): boolean;
}

type Request = NonNullable<ConsoleFrame['frame']>;
type Reply = NonNullable<AgentFrame['frame']>;

/** One relay; `frames` ends after SessionEnd, ExecExit, SessionError or when the agent goes away. */
export interface RelaySession {
  readonly id: string;
  readonly frames: AsyncIterable<Reply>;
  /** Sends a follow-up frame (exec input, resize). */
  send(frame: Request): void;
  /** Asks the agent to stop; `frames` ends when the agent confirms. */
  cancel(): void;
}

class Queue {
  private items: Reply[] = [];
  private waiting: ((r: IteratorResult<Reply>) => void) | undefined;
  done = false;
  failure: ConsoleError | undefined;

  push(r: Reply): void {
    if (this.done) return;
    if (this.waiting) { const w = this.waiting; this.waiting = undefined; w({ value: r, done: false }); }
    else this.items.push(r);
  }
  finish(failure?: ConsoleError): void {
    if (this.done) return;
    this.done = true;
    this.failure = failure;
    if (this.waiting && this.items.length === 0) { const w = this.waiting; this.waiting = undefined; w({ value: undefined, done: true }); }
  }
  async *iterate(): AsyncGenerator<Reply> {
    for (;;) {
      const next = this.items.shift();
      if (next) { yield next; continue; }
      if (this.done) { if (this.failure) throw this.failure; return; }
      const r = await new Promise<IteratorResult<Reply>>((resolve) => (this.waiting = resolve));
      if (r.done) { if (this.failure) throw this.failure; return; }
      yield r.value;
    }
  }
}

const TERMINAL = new Set<Reply['$case']>(['end', 'error', 'execExit']);

export class SessionRelay {
  private readonly agents = new Map<string, { sink: SessionSink; sessions: Map<string, Queue> }>();

  /** Nodes with an open Session stream. */
  connected(): string[] {
    return [...this.agents.keys()];
  }

  /** Called by the gRPC handler when an agent's stream says hello; replaces an older stream. */
  agentConnected(nodeId: string, sink: SessionSink): void {
    const old = this.agents.get(nodeId);
    if (old) this.agentGone(nodeId, old.sink);
    this.agents.set(nodeId, { sink, sessions: new Map() });
  }

  /** Ends every session of the node's stream `sink` (no-op if a newer stream replaced it). */
  agentGone(nodeId: string, sink: SessionSink): void {
    const a = this.agents.get(nodeId);
    if (!a || a.sink !== sink) return;
    this.agents.delete(nodeId);
    const err = new ConsoleError('agent_disconnected', 'unavailable', `failed to relay session: node ${JSON.stringify(nodeId)} disconnected`);
    for (const q of a.sessions.values()) q.finish(err);
  }

  /**
   * The node's certificate was revoked or the node deleted: its stream ends with `err` and
   * every open session with a node_revoked error.
   */
  revoke(nodeId: string, err: unknown): void {
    const a = this.agents.get(nodeId);
    if (!a) return;
    this.agents.delete(nodeId);
    const why = new ConsoleError('node_revoked', 'permission_denied', `failed to relay session: node ${JSON.stringify(nodeId)} was revoked`);
    for (const q of a.sessions.values()) q.finish(why);
    a.sink.emit?.('error', err);
  }

  /** Routes one frame from an agent to its session. */
  fromAgent(nodeId: string, frame: AgentFrame): void {
    const q = this.agents.get(nodeId)?.sessions.get(frame.sessionId);
    if (!q || !frame.frame) return;
    const f = frame.frame;
    if (f.$case === 'error') {
      q.finish(new ConsoleError(f.value.code || 'agent_error', 'unavailable', f.value.message || 'failed to relay session: the agent reported an error'));
    } else {
      q.push(f);
      if (TERMINAL.has(f.$case)) q.finish();
    }
    if (q.done) this.agents.get(nodeId)?.sessions.delete(frame.sessionId);
  }

  /** Opens a session on the node's stream with its first request (logs, stats or execStart). */
  open(nodeId: string, request: Request): RelaySession {
    const a = this.agents.get(nodeId);
    if (!a) throw new ConsoleError('agent_not_connected', 'unavailable', `failed to open session on node ${JSON.stringify(nodeId)}: the agent is not connected`);
    if (!['logs', 'stats', 'execStart'].includes(request.$case)) {
      throw new ConsoleError('invalid_session_request', 'invalid_argument', `failed to open session: the first frame must be logs, stats or execStart, not ${request.$case}`);
    }
    const id = randomUUID();
    const q = new Queue();
    a.sessions.set(id, q);
    a.sink.write({ sessionId: id, frame: request });
    const send = (frame: Request): void => {
      if (q.done) throw new ConsoleError('session_closed', 'failed_precondition', `failed to send to session ${id}: it has ended`);
      a.sink.write({ sessionId: id, frame });
    };
    return { id, frames: q.iterate(), send, cancel: () => { if (!q.done) a.sink.write({ sessionId: id, frame: { $case: 'cancel', value: {} } }); } };
  }
}
