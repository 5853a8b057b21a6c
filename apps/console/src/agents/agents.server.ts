/**
 * The console's gRPC listener for agents: TLS with the console CA's server certificate,
 * client certificates requested but not required at the TLS layer (Register has none yet);
 * grpc-js exposes a peer certificate to handlers only when it chains to the CA, and
 * NodeIdentity refuses calls without one. Owns the watch hub and the heartbeat monitor.
 */
import { Server, experimental, type ServerCredentials } from '@grpc/grpc-js';
import { AgentServiceService } from '@berth/proto';
import { ConsoleError, errorMessage } from '../common/errors.js';
import type { CertificateAuthority } from '../pki/index.js';
import { createAgentService } from './agent.grpc.controller.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import type { AgentsLogger } from './logger.js';
import type { AssignmentStore, FleetEventSource, JoinTokenStore, NodeStore, Rescheduler } from './ports.js';
import { SessionRelay } from './session-relay.js';
import { WatchHub } from './watch-hub.js';
import { nodeRevoked } from './agents.errors.js';
import { toServiceError } from './grpc-errors.js';

export interface AgentsServerOptions {
  /** host:port; port 0 picks a free one. IPv6 hosts in brackets ("[::1]:7443"). */
  listen: string;
  /** Extra names and addresses for the server certificate (the listen host is always in it). */
  advertiseHosts?: string[];
  heartbeatIntervalSeconds?: number;
  /** Default 40 s. */
  heartbeatGraceMs?: number;
  /** Default 15 s. */
  keepaliveMs?: number;
  nodeCertValidityDays?: number;
  now?: () => Date;
}

export interface AgentsServerDeps {
  ca: CertificateAuthority;
  nodes: NodeStore;
  tokens: JoinTokenStore;
  assignments: AssignmentStore;
  events: FleetEventSource;
  rescheduler: Rescheduler;
  log: AgentsLogger;
}

type Provider = experimental.CertificateProvider;

/**
 * A certificate provider with fixed material (grpc-js ships only a file-watching one). It
 * answers listeners on a microtask: grpc-js registers its context watcher only after adding
 * the listeners, so a synchronous answer would be lost and every connection dropped.
 */
function staticProvider(ca: Buffer | undefined, identity?: { certificate: Buffer; privateKey: Buffer }): Provider {
  return {
    addCaCertificateListener: (l) => queueMicrotask(() => l(ca ? { caCertificate: ca } : null)),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (l) => queueMicrotask(() => l(identity ?? null)),
    removeIdentityCertificateListener: () => {},
  };
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ConsoleError('invalid_listen_address', 'invalid_argument', `failed to parse gRPC listen address ${JSON.stringify(listen)}: expected host:port`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export class AgentsServer {
  readonly hub: WatchHub;
  readonly relay = new SessionRelay();
  readonly heartbeats: HeartbeatMonitor;
  private readonly server = new Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_concurrent_streams': 1000 });
  private readonly credentials: ServerCredentials;
  private started = false;
  private unsubscribeRevocations: (() => void) | undefined;

  constructor(private readonly deps: AgentsServerDeps, private readonly opts: AgentsServerOptions) {
    const { host } = splitHostPort(opts.listen);
    const { certPem, keyPem } = deps.ca.issueServerCertificate([host, ...(opts.advertiseHosts ?? [])]);
    this.credentials = experimental.createCertificateProviderServerCredentials(
      staticProvider(undefined, { certificate: Buffer.from(certPem), privateKey: Buffer.from(keyPem) }),
      staticProvider(Buffer.from(deps.ca.certPem)),
      false,
    );
    this.hub = new WatchHub(deps.assignments, deps.events, deps.log, { keepaliveMs: opts.keepaliveMs ?? 15_000 });
    this.heartbeats = new HeartbeatMonitor(deps.nodes, deps.rescheduler, deps.log, { graceMs: opts.heartbeatGraceMs ?? 40_000, ...(opts.now ? { now: opts.now } : {}) });
    this.server.addService(
      AgentServiceService,
      createAgentService({
        ca: deps.ca,
        nodes: deps.nodes,
        tokens: deps.tokens,
        hub: this.hub,
        relay: this.relay,
        log: deps.log,
        heartbeatIntervalSeconds: opts.heartbeatIntervalSeconds ?? 10,
        nodeCertValidityDays: opts.nodeCertValidityDays ?? 365,
        ...(opts.now ? { now: opts.now } : {}),
      }),
    );
  }

  /** Binds and starts serving; returns the bound port. */
  async start(): Promise<number> {
    const { host, port } = splitHostPort(this.opts.listen);
    const target = `${isV6(host) ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(target, this.credentials, (err, p) => (err ? reject(new ConsoleError('grpc_bind_failed', 'unavailable', `failed to listen on ${target}: ${errorMessage(err)}`, { cause: err })) : resolve(p))),
    );
    this.hub.start();
    // The hub ends a revoked node's Watch streams; its Session stream ends here.
    this.unsubscribeRevocations = this.deps.events.subscribe((e) => {
      if (e.kind === 'node-revoked') this.relay.revoke(e.nodeId, toServiceError(nodeRevoked(e.nodeId)));
    });
    this.heartbeats.start();
    this.started = true;
    this.deps.log.info({ address: `${host}:${bound}` }, 'agent gRPC listener started');
    return bound;
  }

  /** Stops timers, ends watch streams and shuts the server down (forcefully after `graceMs`). */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribeRevocations?.();
    this.hub.stop();
    await this.heartbeats.stop();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.server.forceShutdown(); resolve(); }, graceMs);
      this.server.tryShutdown(() => { clearTimeout(t); resolve(); });
    });
  }
}

function isV6(host: string): boolean {
  return host.includes(':');
}
