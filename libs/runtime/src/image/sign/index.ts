export * from './keys.js';
export * from './payload.js';
export * from './policy.js';
export * from './sign.js';
export * from './verify.js';
