import type { AgentFrame } from '@berth/proto';
import type { SocketSender } from './socket-sender.js';
import type { ServerMessage } from './streams.protocol.js';

type Reply = NonNullable<AgentFrame['frame']>;

/** The WebSocket messages for one agent frame (a log chunk becomes one message per line). */
export function toMessages(f: Reply): ServerMessage[] {
  switch (f.$case) {
    case 'log':
      return f.value.lines.map((l) => {
        const m: ServerMessage = { type: 'log', stream: l.stream || 'stdout', line: Buffer.from(l.content).toString('utf8') };
        if (l.timeUnixMs > 0) m.time = new Date(l.timeUnixMs).toISOString();
        if (l.partial) m.partial = true;
        return m;
      });
    case 'stats': {
      const { timeUnixMs, ...rest } = f.value; // cpuUsageMicros and byte counts pass through
      return [{ type: 'stats', time: new Date(timeUnixMs).toISOString(), ...rest }];
    }
    case 'execOutput':
      return [{ type: 'output', stream: f.value.stream || 'stdout', data: Buffer.from(f.value.data).toString('base64') }];
    case 'execExit':
      return [{ type: 'exit', exitCode: f.value.exitCode }];
    case 'end':
      return [{ type: 'end' }];
    case 'hello':
    case 'error':
      // hello never reaches a session; errors end the relay's frames with a thrown ConsoleError.
      return [];
  }
}

/**
 * Forwards a relay's frames to the socket until the relay ends (end or exit: close 1000),
 * fails (error frame, then close 4000 + status) or the socket goes away (the caller cancels
 * the relay; remaining frames are read and dropped until the agent confirms).
 */
export async function pumpRelay(frames: AsyncIterable<Reply>, sender: SocketSender): Promise<void> {
  try {
    for await (const f of frames) {
      for (const m of toMessages(f)) sender.send(m);
    }
    sender.close(1000, 'end');
  } catch (err) {
    sender.fail(err);
  }
}
