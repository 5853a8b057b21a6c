export { buildImage, type BuildImageOptions, type BuildImageResult, type BuildStepEvent } from './build.js';
export { parseDockerfile, parseJsonArray, KEYWORDS, type Dockerfile, type Instruction, type Keyword } from './dockerfile.js';
export { BuildState, type ImageSettings, type ResolvedStep, type Step, type Chown } from './resolve.js';
export { lexWord, lexWords, splitWords, keyValues, ExpandError, type Vars } from './expand.js';
export { BuildError, type BuildErrorCode } from './errors.js';
export { BuildCache, cacheKey, type CacheEntry, type CachedLayer } from './cache.js';
export type { BuildMount, BuildRunner, BuildSnapshotter } from './ports.js';
export { storeLayer, type BuiltLayer } from './layer.js';
export { parseCriLog } from './run.js';
