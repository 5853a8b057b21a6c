export * from './auth.js';
export * from './blobs.js';
export * from './client.js';
export { describeErrorBody, isRetriable, retryAfterMs } from './errors.js';
export * from './manifests.js';
export { TransportError, type HttpResponse } from './transport.js';
export * from './upload.js';
