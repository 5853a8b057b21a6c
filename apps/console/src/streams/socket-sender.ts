import { StreamErrorCode } from './streams.errors.js';
import type { ServerMessage } from './streams.protocol.js';
import { toWsError } from './ws-exception.filter.js';

/** The part of a `ws` WebSocket the gateway uses (tests pass a fake). */
export interface StreamSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
/** Close code for a consumer that does not read fast enough (policy: close, do not drop silently). */
export const SLOW_CONSUMER_CLOSE = 4429;

/**
 * Sends JSON messages with backpressure: when more than `maxBufferedBytes` are still unsent
 * (the client or its network does not keep up) the socket is closed with 4429 and a reason,
 * and `onClose` runs so the relay or subscription behind it is cancelled. Dropping frames
 * would corrupt logs and exec output, so a slow consumer is closed instead.
 */
export class SocketSender {
  private closed = false;

  constructor(
    private readonly ws: StreamSocket,
    private readonly maxBufferedBytes: number,
    private readonly onClose: (reason: string) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed || this.ws.readyState !== OPEN;
  }

  /** Returns false when the message was not sent (closed, or closed now for being slow). */
  send(m: ServerMessage): boolean {
    if (this.isClosed) return false;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      const reason = `${StreamErrorCode.slowConsumer}: ${this.ws.bufferedAmount} bytes unsent`;
      this.close(SLOW_CONSUMER_CLOSE, reason);
      return false;
    }
    this.ws.send(JSON.stringify(m));
    return true;
  }

  /** Sends the error frame, then closes with 4000 + its HTTP status. */
  fail(err: unknown): void {
    const { frame, closeCode } = toWsError(err);
    if (this.isClosed) return;
    this.ws.send(JSON.stringify(frame));
    this.close(closeCode, frame.code);
  }

  close(code = 1000, reason = 'end'): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are limited to 123 bytes.
    if (this.ws.readyState === OPEN) this.ws.close(code, reason.slice(0, 120));
    this.onClose(reason);
  }
}
