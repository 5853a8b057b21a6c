/**
 * @berth/proto: the agent <-> console gRPC contract. Everything here is generated from
 * proto/berth/agent/v1/agent.proto by buf + ts-proto (see buf.gen.yaml); edit the .proto and
 * run `npm run generate` in libs/proto, never the generated files.
 */
export * as agentv1 from './generated/berth/agent/v1/agent.js';
export * from './generated/berth/agent/v1/agent.js';
