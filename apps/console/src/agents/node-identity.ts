/**
 * Who is calling: the node named by the common name of a client certificate that TLS already
 * verified against the console CA (grpc-js exposes the peer certificate only when the chain
 * verified), still registered, not revoked, and presenting the certificate last issued to it.
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { certificateSuperseded, noClientCertificate, nodeRevoked, nodeUnknown } from './agents.errors.js';
import type { NodeRecord, NodeStore } from './ports.js';

/** grpc-js does not export AuthContext by name. */
type AuthContext = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

export interface CallWithAuth {
  getAuthContext(): AuthContext;
}

export class NodeIdentity {
  constructor(private readonly nodes: NodeStore) {}

  /** The node id from the verified peer certificate, without checking the store. */
  static nodeIdOf(call: CallWithAuth): string {
    return NodeIdentity.peer(call).id;
  }

  /** Id and fingerprint of the peer certificate; read once per call (grpc-js decodes it anew each time). */
  private static peer(call: CallWithAuth): { id: string; fingerprint: string | undefined } {
    const cert = call.getAuthContext().sslPeerCertificate;
    const cn = cert?.subject?.CN;
    const id = Array.isArray(cn) ? cn[0] : cn;
    if (!cert || !id) throw noClientCertificate();
    return { id, fingerprint: cert.fingerprint256 };
  }

  async authenticate(call: CallWithAuth): Promise<NodeRecord> {
    const { id, fingerprint: fp } = NodeIdentity.peer(call);
    const node = await this.nodes.get(id);
    if (!node) throw nodeUnknown(id);
    if (node.revokedAt) throw nodeRevoked(id);
    if (node.certFingerprint !== null && fp !== node.certFingerprint) throw certificateSuperseded(id);
    return node;
  }
}
