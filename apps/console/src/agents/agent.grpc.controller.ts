/**
 * berth.agent.v1.AgentService: the generated grpc-js interface implemented over the agents
 * ports. Register is the only call accepted without a client certificate; every other call
 * authenticates the node from its certificate first. Errors become gRPC statuses only through
 * toServiceError.
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { AgentFrame, AgentServiceServer, ConsoleFrame, RegisterRequest, RegisterResponse, StatusReport } from '@berth/proto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { errorMessage } from '../common/errors.js';
import type { CertificateAuthority } from '../pki/index.js';
import { invalidRequest, joinTokenRejected } from './agents.errors.js';
import { toServiceError } from './grpc-errors.js';
import type { AgentsLogger } from './logger.js';
import { NodeIdentity } from './node-identity.js';
import type { JoinTokenStore, NodeStore } from './ports.js';
import type { SessionRelay } from './session-relay.js';
import type { WatchHub } from './watch-hub.js';
import { fromWireResources, fromWireStatus } from './wire.js';

export interface AgentServiceDeps {
  ca: CertificateAuthority;
  nodes: NodeStore;
  tokens: JoinTokenStore;
  hub: WatchHub;
  relay: SessionRelay;
  log: AgentsLogger;
  heartbeatIntervalSeconds: number;
  /** Validity of issued node certificates, days. */
  nodeCertValidityDays: number;
  now?: () => Date;
}

const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9_.\/-]{0,251}[A-Za-z0-9])?$/;

function validateRegister(req: RegisterRequest): void {
  const what = 'register node';
  if (!req.joinToken) throw invalidRequest(what, 'join_token is empty');
  if (!req.csrPem) throw invalidRequest(what, 'csr_pem is empty');
  const n = req.node;
  if (!n) throw invalidRequest(what, 'node is missing');
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n.hostname)) throw invalidRequest(what, `node.hostname ${JSON.stringify(n.hostname)} is not a valid host name`);
  for (const k of Object.keys(n.labels)) if (!LABEL_KEY.test(k)) throw invalidRequest(what, `node.labels key ${JSON.stringify(k)} is not a valid label key`);
  for (const a of n.addresses) if (isIP(a) === 0) throw invalidRequest(what, `node.addresses entry ${JSON.stringify(a)} is not an IP address`);
  for (const [field, r] of [['capacity', n.capacity], ['allocatable', n.allocatable]] as const) {
    for (const [k, v] of Object.entries(r ?? {})) if (typeof v === 'number' && v < 0) throw invalidRequest(what, `node.${field}.${k} is negative (${v})`);
  }
}

const MAX_TIME_MS = 8.64e15; // the largest time a Date holds

function validateStatus(req: StatusReport): void {
  const what = 'record node status';
  req.containers.forEach((c, i) => {
    if (!c.assignmentId) throw invalidRequest(what, `containers[${i}].assignment_id is empty`);
    for (const [field, v] of [['started_at_unix_ms', c.startedAtUnixMs], ['finished_at_unix_ms', c.finishedAtUnixMs]] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v > MAX_TIME_MS) throw invalidRequest(what, `containers[${i}].${field} ${v} is not a time in ms since the epoch`);
    }
    if (c.restartCount < 0) throw invalidRequest(what, `containers[${i}].restart_count is negative (${c.restartCount})`);
  });
  if (!Number.isSafeInteger(req.observedRevision) || req.observedRevision < 0) throw invalidRequest(what, `observed_revision ${req.observedRevision} must be >= 0`);
}

const ZERO = { cpuMillis: 0, memoryBytes: 0, pids: 0, ephemeralStorageBytes: 0 };

export function createAgentService(deps: AgentServiceDeps): AgentServiceServer {
  const identity = new NodeIdentity(deps.nodes);
  const now = deps.now ?? (() => new Date());

  async function register(req: RegisterRequest): Promise<RegisterResponse> {
    validateRegister(req);
    const node = req.node!;
    const id = randomUUID();
    // Check the CSR before spending a use of the token.
    const issued = deps.ca.issueFromCsr(req.csrPem, { commonName: id, usage: 'client', validityDays: deps.nodeCertValidityDays });
    const token = await deps.tokens.consume(req.joinToken, now());
    if (!token.ok) throw joinTokenRejected(token.reason);
    await deps.nodes.create({
      id,
      name: node.hostname,
      labels: { ...node.labels },
      capacity: fromWireResources(node.capacity) ?? ZERO,
      allocatable: fromWireResources(node.allocatable) ?? fromWireResources(node.capacity) ?? ZERO,
      agentVersion: node.agentVersion,
      addresses: node.addresses,
      certFingerprint: issued.fingerprint256,
    });
    deps.log.info({ nodeId: id, name: node.hostname, tokenId: token.tokenId }, 'node registered');
    return { nodeId: id, clientCertPem: issued.certPem, caCertPem: deps.ca.certPem, heartbeatIntervalSeconds: deps.heartbeatIntervalSeconds };
  }

  return {
    register(call, callback) {
      register(call.request).then(
        (res) => callback(null, res),
        (err) => {
          deps.log.warn({ err: errorMessage(err) }, 'registration refused');
          callback(toServiceError(err));
        },
      );
    },

    watch(call) {
      identity.authenticate(call).then(
        (node) => {
          const since = call.request.sinceRevision;
          if (!Number.isSafeInteger(since) || since < 0) {
            call.emit('error', toServiceError(invalidRequest('watch assignments', `since_revision ${since} must be >= 0`)));
            return;
          }
          return deps.hub.attach(node.id, since, call);
        },
        (err) => call.emit('error', toServiceError(err)),
      );
    },

    reportStatus(call, callback) {
      identity
        .authenticate(call)
        .then(async (node) => {
          validateStatus(call.request);
          await deps.nodes.recordStatus(node.id, fromWireStatus(call.request, now()));
          return { serverTimeUnixMs: now().getTime(), heartbeatIntervalSeconds: deps.heartbeatIntervalSeconds };
        })
        .then((ack) => callback(null, ack), (err) => callback(toServiceError(err)));
    },

    session(call: ServerDuplexStream<AgentFrame, ConsoleFrame>) {
      identity.authenticate(call).then(
        (node) => {
          let hello = false;
          call.on('data', (frame: AgentFrame) => {
            if (!hello) {
              if (frame.frame?.$case !== 'hello') {
                call.emit('error', toServiceError(invalidRequest('open session stream', 'the first frame must be hello')));
                return;
              }
              hello = true;
              deps.relay.agentConnected(node.id, call);
              return;
            }
            deps.relay.fromAgent(node.id, frame);
          });
          const gone = (): void => deps.relay.agentGone(node.id, call);
          call.on('end', () => { gone(); call.end(); });
          call.on('cancelled', gone);
          call.on('error', gone);
        },
        (err) => call.emit('error', toServiceError(err)),
      );
    },
  };
}
