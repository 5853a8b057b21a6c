/**
 * A simulated berth-agent: registers with a join token and a CSR, then talks mTLS with the
 * certificate it got. Used by the gRPC contract tests and by bench/agents-sim.ts. It keeps the
 * node's assignments the way a real agent must (snapshot replaces, upsert/delete patch).
 */
import { generateKeyPairSync } from 'node:crypto';
import { AgentServiceClient, type Assignment, type RegisterResponse, type StatusAck, type StatusReport, type WatchEvent } from '@berth/proto';
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { buildCsr } from '../../pki/index.js';
import { SimSessions, type SimSessionOptions } from './sim-session.js';

export interface SimAgentOptions {
  address: string;
  /** CA certificate the agent trusts for the console (out-of-band, as with a pinned CA hash). */
  caPem: string;
  hostname: string;
  labels?: Record<string, string>;
}

function unary<T>(fn: (cb: (err: ServiceError | null, res: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

const CHANNEL_OPTIONS = { 'grpc.keepalive_time_ms': 30_000, 'grpc.use_local_subchannel_pool': 1 };

export class SimAgent {
  readonly key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  nodeId = '';
  certPem = '';
  client: AgentServiceClient | undefined;
  /** Current assignments by id, as the agent sees them. */
  readonly assignments = new Map<string, Assignment>();
  revision = 0;
  readonly events: WatchEvent[] = [];
  private watchCall: ClientReadableStream<WatchEvent> | undefined;
  private listeners: ((e: WatchEvent) => void)[] = [];

  constructor(readonly opts: SimAgentOptions) {}

  get keyPem(): string {
    return this.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** Registers over TLS without a client certificate. */
  async register(joinToken: string): Promise<RegisterResponse> {
    const bootstrap = new AgentServiceClient(this.opts.address, credentials.createSsl(Buffer.from(this.opts.caPem)), CHANNEL_OPTIONS);
    try {
      const csrPem = buildCsr(this.opts.hostname, this.key.privateKey, this.key.publicKey);
      const res = await unary<RegisterResponse>((cb) =>
        bootstrap.register({ joinToken, csrPem, node: { hostname: this.opts.hostname, agentVersion: 'sim', os: 'linux', arch: 'amd64', kernelVersion: '6.1', labels: this.opts.labels ?? {}, capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096, ephemeralStorageBytes: 0 }, allocatable: undefined, addresses: ['127.0.0.1'], cgroupVersion: 'v1' } }, cb),
      );
      this.nodeId = res.nodeId;
      this.certPem = res.clientCertPem;
      return res;
    } finally {
      bootstrap.close();
    }
  }

  /** The mTLS client; pass other material to impersonate (tests of refusals). */
  connect(material: { certPem: string; keyPem: string } = { certPem: this.certPem, keyPem: this.keyPem }): AgentServiceClient {
    this.client?.close();
    this.client = new AgentServiceClient(
      this.opts.address,
      credentials.createSsl(Buffer.from(this.opts.caPem), Buffer.from(material.keyPem), Buffer.from(material.certPem)),
      CHANNEL_OPTIONS,
    );
    return this.client;
  }

  private get c(): AgentServiceClient {
    return this.client ?? this.connect();
  }

  report(r: Partial<StatusReport> = {}): Promise<StatusAck> {
    return unary<StatusAck>((cb) => this.c.reportStatus({ node: undefined, usage: undefined, containers: [], observedRevision: this.revision, sentAtUnixMs: Date.now(), ...r }, cb));
  }

  /** Opens Watch from `since` (default: the last revision applied); errors end up in `watchError`. */
  watch(since = this.revision): ClientReadableStream<WatchEvent> {
    this.watchCall?.cancel();
    const call = this.c.watch({ sinceRevision: since });
    this.watchCall = call;
    call.on('data', (e: WatchEvent) => this.apply(e));
    call.on('error', (err: ServiceError) => {
      if (call === this.watchCall) this.watchError = err;
    });
    return call;
  }
  watchError: ServiceError | undefined;

  private apply(e: WatchEvent): void {
    this.events.push(e);
    const ev = e.event;
    if (ev?.$case === 'snapshot') {
      this.assignments.clear();
      for (const a of ev.value.assignments) this.assignments.set(a.id, a);
      this.revision = ev.value.revision;
    } else if (ev?.$case === 'upsert' && ev.value.assignment) {
      this.assignments.set(ev.value.assignment.id, ev.value.assignment);
      this.revision = Math.max(this.revision, ev.value.assignment.revision);
    } else if (ev?.$case === 'delete') {
      this.assignments.delete(ev.value.assignmentId);
      this.revision = Math.max(this.revision, ev.value.revision);
    } else if (ev?.$case === 'keepalive') {
      this.revision = Math.max(this.revision, ev.value.revision);
    }
    for (const l of this.listeners) l(e);
  }

  /** Resolves with the first event (existing or future) that satisfies `pred`. */
  waitFor(pred: (e: WatchEvent) => boolean, timeoutMs = 5_000, fromIndex = 0): Promise<WatchEvent> {
    const seen = this.events.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.listeners = this.listeners.filter((x) => x !== l); reject(new Error(`failed to see the expected watch event on ${this.nodeId} within ${timeoutMs} ms`)); }, timeoutMs);
      const l = (e: WatchEvent): void => {
        if (!pred(e)) return;
        clearTimeout(t);
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(e);
      };
      this.listeners.push(l);
    });
  }

  /** Opens the Session stream (hello first) and answers relays with canned data (sim-session.ts). */
  serveSessions(opts: SimSessionOptions = {}): SimSessions {
    this.sessions?.close();
    this.sessions = new SimSessions(this.c.session(), opts);
    return this.sessions;
  }
  sessions: SimSessions | undefined;

  close(): void {
    this.sessions?.close();
    this.sessions = undefined;
    this.watchCall?.cancel();
    this.watchCall = undefined;
    this.client?.close();
    this.client = undefined;
  }
}
