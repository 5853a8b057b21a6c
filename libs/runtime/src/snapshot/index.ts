export type { Mount as SnapshotMount, SnapshotInfo, SnapshotKind, SnapshotOptions, Snapshotter, SnapshotUsage } from './types.js';
export { OverlaySnapshotter } from './overlay.js';
export type { OverlaySnapshotterOptions } from './overlay.js';
export { flattenLayers } from './flatten.js';
export { chainIds, lowerDirs, unpackImageLayers, writableDir } from './unpack.js';
export type { ImageLayer, UnpackImageLayersInput, UnpackImageLayersResult } from './unpack.js';
