/**
 * The Session side of a simulated agent: answers the console's relays the way a real agent
 * would, with canned data. logs: the configured lines (tail and since applied), then SessionEnd
 * unless following; `emitLog` appends a line to every following relay. stats: one sample, or
 * one per interval when streaming. exec: echoes stdin to stdout (stderr for lines starting with
 * "err:"), records resizes, and exits with `execExitCode` on stdin EOF (immediately when the
 * session has no stdin). cancel: SessionEnd.
 */
import type { AgentFrame, ConsoleFrame, ExecStart } from '@berth/proto';
import type { ClientDuplexStream } from '@grpc/grpc-js';

export interface SimLogLine {
  line: string;
  stream?: 'stdout' | 'stderr';
  /** ms since the epoch; default: when it was added. */
  timeMs?: number;
}

export interface SimSessionOptions {
  logLines?: SimLogLine[];
  execExitCode?: number;
  /** Answer with SessionError for these assignment ids. */
  missingAssignments?: string[];
}

type Request = NonNullable<ConsoleFrame['frame']>;
type Reply = NonNullable<AgentFrame['frame']>;

interface Open {
  kind: 'logs' | 'stats' | 'exec';
  follow?: boolean;
  exec?: ExecStart;
  timer?: NodeJS.Timeout;
}

export class SimSessions {
  /** Every frame the console sent, in order (tests assert on requests, inputs, resizes). */
  readonly received: ConsoleFrame[] = [];
  private readonly open = new Map<string, Open>();
  private readonly lines: Required<SimLogLine>[];

  constructor(private readonly call: ClientDuplexStream<AgentFrame, ConsoleFrame>, private readonly opts: SimSessionOptions = {}) {
    this.lines = (opts.logLines ?? []).map((l) => ({ stream: 'stdout', timeMs: Date.now(), ...l }));
    call.on('data', (f: ConsoleFrame) => this.onFrame(f));
    call.on('error', () => this.stopTimers());
    call.write({ sessionId: '', frame: { $case: 'hello', value: { agentVersion: 'sim' } } });
  }

  /** Relays currently open on this agent. */
  get active(): number {
    return this.open.size;
  }

  /** Appends a log line and sends it to every following logs relay. */
  emitLog(line: SimLogLine): void {
    const l = { stream: 'stdout' as const, timeMs: Date.now(), ...line };
    this.lines.push(l);
    for (const [id, s] of this.open) if (s.kind === 'logs' && s.follow) this.reply(id, { $case: 'log', value: { lines: [toLogLine(l)] } });
  }

  close(): void {
    this.stopTimers();
    this.call.end();
  }

  private reply(sessionId: string, frame: Reply): void {
    this.call.write({ sessionId, frame });
  }

  private finish(sessionId: string, frame: Reply): void {
    const s = this.open.get(sessionId);
    if (s?.timer) clearInterval(s.timer);
    this.open.delete(sessionId);
    this.reply(sessionId, frame);
  }

  private stopTimers(): void {
    for (const s of this.open.values()) if (s.timer) clearInterval(s.timer);
    this.open.clear();
  }

  private onFrame(f: ConsoleFrame): void {
    this.received.push(f);
    const id = f.sessionId;
    const req: Request | undefined = f.frame;
    if (!req) return;
    const assignmentId = 'assignmentId' in req.value ? req.value.assignmentId : undefined;
    if (assignmentId !== undefined && this.opts.missingAssignments?.includes(assignmentId)) {
      this.reply(id, { $case: 'error', value: { code: 'container_not_found', message: `failed to find container of assignment ${assignmentId}: none runs here` } });
      return;
    }
    switch (req.$case) {
      case 'logs': {
        const { tailLines, sinceUnixMs, follow } = req.value;
        let lines = this.lines.filter((l) => sinceUnixMs === 0 || l.timeMs >= sinceUnixMs);
        if (tailLines > 0) lines = lines.slice(-tailLines);
        this.open.set(id, { kind: 'logs', follow });
        if (lines.length > 0) this.reply(id, { $case: 'log', value: { lines: lines.map(toLogLine) } });
        if (!follow) this.finish(id, { $case: 'end', value: {} });
        return;
      }
      case 'stats': {
        const s: Open = { kind: 'stats' };
        this.open.set(id, s);
        let n = 0;
        const sample = (): void => this.reply(id, { $case: 'stats', value: { timeUnixMs: Date.now(), cpuUsageMicros: 1_000 * ++n, memoryUsageBytes: 4 << 20, memoryWorkingSetBytes: 3 << 20, memoryLimitBytes: 64 << 20, pids: 2, networkRxBytes: 0, networkTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 } });
        sample();
        if (req.value.stream) s.timer = setInterval(sample, Math.max(20, req.value.intervalMs || 1000));
        else this.finish(id, { $case: 'end', value: {} });
        return;
      }
      case 'execStart':
        this.open.set(id, { kind: 'exec', exec: req.value });
        if (!req.value.stdin) this.finish(id, { $case: 'execExit', value: { exitCode: this.opts.execExitCode ?? 0 } });
        return;
      case 'execInput': {
        if (this.open.get(id)?.kind !== 'exec') return;
        const text = req.value.data.toString();
        if (text.length > 0) this.reply(id, { $case: 'execOutput', value: { stream: text.startsWith('err:') ? 'stderr' : 'stdout', data: req.value.data } });
        if (req.value.eof) this.finish(id, { $case: 'execExit', value: { exitCode: this.opts.execExitCode ?? 0 } });
        return;
      }
      case 'execResize':
        return;
      case 'cancel':
        if (this.open.has(id)) this.finish(id, { $case: 'end', value: {} });
        return;
    }
  }
}

function toLogLine(l: Required<SimLogLine>): { timeUnixMs: number; timeNanos: number; stream: string; content: Buffer; partial: boolean } {
  return { timeUnixMs: l.timeMs, timeNanos: 0, stream: l.stream, content: Buffer.from(l.line), partial: false };
}
