/**
 * @berth/runtime: Berth's container runtime library. Layers (DESIGN.md), each exported through
 * its own index: spec -> sys -> image -> snapshot -> rootfs -> cgroups -> process -> network ->
 * container.
 */
export * from './errors.js';
export * from './logger.js';
export * from './spec/index.js';
export * from './sys/index.js';
export * from './image/index.js';
export * from './snapshot/index.js';
export * from './rootfs/index.js';
export * from './cgroups/index.js';
export * from './process/index.js';
export * from './container/index.js';
