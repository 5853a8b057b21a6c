import type { IncomingMessage } from 'node:http';
import { Inject, UseFilters } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { AgentsGateway } from '../agents/agents.module.js';
import type { RelaySession } from '../agents/session-relay.js';
import { AssignmentsService } from '../assignments/assignments.service.js';
import { AuditService } from '../audit/audit.service.js';
import { AuthService } from '../auth/auth.service.js';
import { Public } from '../auth/roles.js';
import type { Actor } from '../common/request-context.js';
import { LOGGER } from '../common/logger.js';
import { FleetEvents } from '../fleet/fleet-events.js';
import { EventTail } from './event-tail.js';
import { pumpRelay } from './relay-stream.js';
import { SocketSender } from './socket-sender.js';
import { authenticateUpgrade } from './streams.auth.js';
import { streamError } from './streams.errors.js';
import { type ClientMessage, EVENTS_STREAM_PATH, parseStreamUrl, requiredRole, type StreamRequest } from './streams.protocol.js';
import { WsExceptionFilter, toWsError } from './ws-exception.filter.js';

interface Conn {
  request: StreamRequest;
  sender: SocketSender;
  relay?: RelaySession;
  stdinOpen: boolean;
  stop: () => void;
}

/** Largest client message (stdin chunks, resizes). */
const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * Logs, stats and exec of an assignment, relayed to and from the agent that runs it over the
 * agent's gRPC Session stream, and fleet events as they commit. Authentication, the role and
 * the request (path + query) are checked before the upgrade completes, so a refused client
 * gets an HTTP status with a JSON {code, message} body (401, 403, 400, 404), not a socket.
 * @Public: the global REST guard cannot see a WebSocket message's caller; the upgrade check
 * above is this gateway's authentication. Every exec is written to the audit log.
 */
@Public()
@WebSocketGateway({ path: EVENTS_STREAM_PATH, maxPayload: MAX_MESSAGE_BYTES })
@UseFilters(WsExceptionFilter)
export class StreamsGateway implements OnGatewayInit<WebSocketServer>, OnGatewayConnection<WebSocket>, OnGatewayDisconnect<WebSocket> {
  /** Unsent bytes after which a consumer is closed as slow (4429). */
  maxBufferedBytes = 4 << 20;
  private readonly accepted = new WeakMap<IncomingMessage, { request: StreamRequest; nodeId: string; actor: Actor }>();
  private readonly conns = new Map<WebSocket, Conn>();

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(AssignmentsService) private readonly assignments: Pick<AssignmentsService, 'get'>,
    @Inject(FleetEvents) private readonly fleet: Pick<FleetEvents, 'subscribe'>,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'record'>,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(EventTail) private readonly tail: Pick<EventTail, 'watch'>,
  ) {}

  /** Open streams (metrics, tests). */
  get size(): number {
    return this.conns.size;
  }

  afterInit(server: WebSocketServer): void {
    server.options.verifyClient = (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
      this.verify(info.req).then(
        () => cb(true),
        (err: unknown) => {
          const { frame, status } = toWsError(err);
          if (status >= 500) this.log.error({ err, url: info.req.url }, 'failed to accept stream');
          cb(false, status, JSON.stringify({ code: frame.code, message: frame.message, ...(frame.errors ? { errors: frame.errors } : {}) }), { 'Content-Type': 'application/json' });
        },
      );
    };
  }

  private async verify(req: IncomingMessage): Promise<void> {
    const request = parseStreamUrl(req.url ?? '/');
    const actor = await authenticateUpgrade(this.auth, req, requiredRole(request), `${request.kind} stream`);
    const nodeId = request.kind === 'events' || request.kind === 'records' ? '' : (await this.assignments.get(request.assignmentId)).nodeId;
    if (request.kind === 'exec') {
      await this.audit.record({ actorId: actor.userId, actorName: actor.username, action: 'assignment.exec', objectKind: 'assignment', objectId: request.assignmentId, requestId: null, details: { command: request.command, tty: request.tty, stdin: request.stdin } });
    }
    this.accepted.set(req, { request, nodeId, actor });
  }

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const a = this.accepted.get(req);
    const conn: Conn = { request: a?.request ?? { kind: 'events', kinds: [], ids: [] }, stdinOpen: false, stop: () => undefined, sender: new SocketSender(ws, this.maxBufferedBytes, () => this.stop(ws)) };
    this.conns.set(ws, conn);
    if (!a) return conn.sender.fail(streamError.routeNotFound(req.url ?? '/'));
    try {
      if (a.request.kind === 'events') this.openEvents(conn, a.request);
      else if (a.request.kind === 'records') this.openRecords(conn, a.request);
      else this.openRelay(conn, a.request, a.nodeId);
    } catch (err) {
      conn.sender.fail(err);
    }
  }

  handleDisconnect(ws: WebSocket): void {
    this.stop(ws);
  }

  private stop(ws: WebSocket): void {
    const c = this.conns.get(ws);
    if (!c) return;
    this.conns.delete(ws);
    c.stop();
  }

  private openEvents(conn: Conn, r: Extract<StreamRequest, { kind: 'events' }>): void {
    const unsubscribe = this.fleet.subscribe((e) => {
      if (r.kinds.length > 0 && !r.kinds.includes(e.kind)) return;
      if (r.ids.length > 0 && !r.ids.includes(e.id)) return;
      conn.sender.send({ type: 'event', kind: e.kind, id: e.id, revision: e.revision, ...(e.nodeId !== undefined ? { nodeId: e.nodeId } : {}), ...(e.removed ? { removed: true as const } : {}), ...(e.revoked ? { revoked: true as const } : {}) });
    });
    conn.stop = unsubscribe;
  }

  /** Recorded events after the client's last id, then new ones (EventTail: no gap, no repeat). */
  private openRecords(conn: Conn, r: Extract<StreamRequest, { kind: 'records' }>): void {
    conn.stop = this.tail.watch({
      ...(r.after === undefined ? {} : { after: r.after }),
      filter: r.filter,
      send: (event) => conn.sender.send({ type: 'record', event }),
      fail: (err) => conn.sender.fail(err),
    });
  }

  private openRelay(conn: Conn, r: Exclude<StreamRequest, { kind: 'events' | 'records' }>, nodeId: string): void {
    let agents: AgentsGateway;
    try {
      agents = this.moduleRef.get(AgentsGateway, { strict: false });
    } catch {
      throw streamError.agentsDisabled();
    }
    const first =
      r.kind === 'logs'
        ? { $case: 'logs' as const, value: { assignmentId: r.assignmentId, follow: r.follow, tailLines: r.tailLines, sinceUnixMs: r.sinceUnixMs, timestamps: r.timestamps } }
        : r.kind === 'stats'
          ? { $case: 'stats' as const, value: { assignmentId: r.assignmentId, intervalMs: r.intervalMs, stream: r.stream } }
          : { $case: 'execStart' as const, value: { assignmentId: r.assignmentId, command: r.command, tty: r.tty, stdin: r.stdin, env: [], workingDir: '', columns: r.columns, rows: r.rows } };
    const relay = agents.server.relay.open(nodeId, first);
    conn.relay = relay;
    conn.stdinOpen = r.kind === 'exec' && r.stdin;
    conn.stop = () => relay.cancel();
    void pumpRelay(relay.frames, conn.sender);
  }

  private execOf(ws: WebSocket, type: ClientMessage['type']): RelaySession {
    const c = this.conns.get(ws);
    if (!c || c.request.kind !== 'exec' || !c.relay) throw streamError.notExec(c?.request.kind ?? 'closed', type);
    return c.relay;
  }

  @SubscribeMessage('stdin')
  stdin(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Extract<ClientMessage, { type: 'stdin' }>): void {
    const relay = this.execOf(ws, m.type);
    if (!this.conns.get(ws)?.stdinOpen) throw streamError.stdinClosed();
    relay.send({ $case: 'execInput', value: { data: Buffer.from(m.data, 'base64'), eof: false } });
  }

  @SubscribeMessage('stdin-eof')
  stdinEof(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Extract<ClientMessage, { type: 'stdin-eof' }>): void {
    const relay = this.execOf(ws, m.type);
    const c = this.conns.get(ws);
    if (!c?.stdinOpen) throw streamError.stdinClosed();
    c.stdinOpen = false;
    relay.send({ $case: 'execInput', value: { data: Buffer.alloc(0), eof: true } });
  }

  @SubscribeMessage('resize')
  resize(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Extract<ClientMessage, { type: 'resize' }>): void {
    this.execOf(ws, m.type).send({ $case: 'execResize', value: { columns: m.columns, rows: m.rows } });
  }
}
