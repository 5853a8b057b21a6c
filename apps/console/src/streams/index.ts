export { StreamsModule } from './streams.module.js';
export { StreamsGateway } from './streams.gateway.js';
export { StreamsWsAdapter } from './streams.adapter.js';
export { SLOW_CONSUMER_CLOSE } from './socket-sender.js';
export { StreamErrorCode } from './streams.errors.js';
export { EVENTS_STREAM_PATH, type ClientMessage, type ServerMessage, type StreamRequest } from './streams.protocol.js';
