import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Observable } from 'rxjs';
import type { RawData, WebSocket } from 'ws';
import { streamError } from './streams.errors.js';
import { isStreamPath, parseClientMessage } from './streams.protocol.js';
import { toWsError } from './ws-exception.filter.js';

interface RoutedServer {
  path: string;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket) => void): void;
  emit(event: 'connection', ws: WebSocket, req: IncomingMessage): boolean;
}

/** Writes a JSON HTTP answer on a socket whose upgrade is refused. */
export function refuseUpgrade(socket: Duplex, status: number, body: object): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/**
 * Nest's `ws` adapter with the console's routing and message rules:
 * - every stream path (streams.protocol.ts `isStreamPath`) goes to the streams gateway's
 *   server, whatever its nominal path; other upgrade paths get a JSON 404 `route_not_found`
 *   (the CLI reports that as "the console does not serve this");
 * - client messages are `{"type": ...}` objects: bad JSON, binary frames and unknown types are
 *   answered with an error frame (the socket stays open) instead of being dropped silently.
 */
export class StreamsWsAdapter extends WsAdapter {
  private readonly listeners = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    if (this.httpServersRegistry.has(port) || !httpServer) return super.ensureHttpServerExists(port, httpServer);
    this.httpServersRegistry.set(port, httpServer);
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const pathname = new URL(req.url ?? '/', 'http://console.invalid').pathname;
      const servers = (this.wsServersRegistry.get(port) ?? []) as RoutedServer[];
      const target = isStreamPath(pathname) ? servers[0] : servers.find((s) => s.path === pathname);
      if (!target) {
        const { frame, status } = toWsError(streamError.routeNotFound(pathname));
        refuseUpgrade(socket, status, { code: frame.code, message: frame.message });
        return;
      }
      target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
    };
    httpServer.on('upgrade', listener);
    this.listeners.set(httpServer, listener);
    return httpServer;
  }

  override bindMessageHandlers(client: WebSocket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    const byType = new Map(handlers.map((h) => [h.message as string, h]));
    const refuse = (err: unknown): void => {
      if (client.readyState === client.OPEN) client.send(JSON.stringify(toWsError(err).frame));
    };
    client.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return refuse(streamError.binaryMessage());
      let m;
      try {
        m = parseClientMessage(data.toString());
      } catch (err) {
        return refuse(err);
      }
      const h = byType.get(m.type);
      if (!h) return refuse(streamError.notExec('this', m.type));
      // The callback runs the handler inside Nest's guard/interceptor/filter chain
      // (WsExceptionFilter answers errors); with interceptors it is a cold Observable, so it
      // must be subscribed to run at all.
      try {
        transform(h.callback(m, m.type)).subscribe({ error: refuse });
      } catch (err) {
        refuse(err);
      }
    });
  }

  override async dispose(): Promise<void> {
    for (const [server, l] of this.listeners) server.off('upgrade', l);
    this.listeners.clear();
    await super.dispose();
  }
}
