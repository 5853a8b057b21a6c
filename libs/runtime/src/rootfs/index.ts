export * from './types.js';
export { planRootfs, type PlanOptions } from './plan.js';
export { parseMountOptions, PROPAGATION_OPTIONS, type ParsedOptions } from './plan-options.js';
