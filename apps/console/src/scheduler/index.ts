export { schedule, resolveIntOrPercent } from './schedule.js';
export type * from './types.js';
