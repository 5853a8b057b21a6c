export * from './errors.js';
export * from './logger.js';
export * from './spec/types.js';
export * from './cgroups/types.js';
