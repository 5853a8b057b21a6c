/**
 * The built image's OCI config and manifest, written to the content store and recorded under
 * the tag. The JSON is produced in a fixed key order, so the same steps (cached or not) give
 * the same bytes and the same digests. https://github.com/opencontainers/image-spec/blob/main/config.md
 */
import type { ImageConfig, ImageHistory, ImageRuntimeConfig } from '../config.js';
import { digestOf } from '../digest.js';
import { ImageRecords, type ImageRecord } from '../image-records.js';
import type { ImageStore } from '../image-store.js';
import type { Lease } from '../leases.js';
import type { Descriptor, ImageManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import { parseReference } from '../reference.js';
import type { ImageSettings } from './resolve.js';

export function runtimeConfig(s: ImageSettings): ImageRuntimeConfig {
  const set = (keys: readonly string[]) => (keys.length ? Object.fromEntries(keys.map((k) => [k, {}])) : undefined);
  const c: Record<string, unknown> = {
    User: s.user || undefined,
    ExposedPorts: set(s.exposed),
    Env: s.env.length ? s.env.map(([k, v]) => `${k}=${v}`) : undefined,
    Entrypoint: s.entrypoint,
    Cmd: s.cmd,
    Volumes: set(s.volumes),
    WorkingDir: s.workdir !== '/' ? s.workdir : undefined,
    Labels: Object.keys(s.labels).length ? s.labels : undefined,
    StopSignal: s.stopSignal,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c as ImageRuntimeConfig;
}

export interface WrittenImage {
  readonly record: ImageRecord;
  readonly digest: string;
  readonly configDigest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
}

export async function writeImage(input: {
  store: ImageStore;
  lease: Lease;
  tag: string;
  platform: { os: string; architecture: string; variant?: string };
  settings: ImageSettings;
  layers: readonly Descriptor[];
  diffIds: readonly string[];
  history: readonly ImageHistory[];
}): Promise<WrittenImage> {
  const created = input.history[input.history.length - 1]?.created ?? new Date(0).toISOString();
  const config: ImageConfig = {
    created,
    architecture: input.platform.architecture,
    os: input.platform.os,
    ...(input.platform.variant ? { variant: input.platform.variant } : {}),
    config: runtimeConfig(input.settings),
    rootfs: { type: 'layers', diff_ids: [...input.diffIds] },
    history: [...input.history],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = digestOf(configBytes);
  await input.lease.add(configDigest);
  await input.store.content.put(configBytes, configDigest);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
    layers: input.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  } as ImageManifest;
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOf(manifestBytes);
  await input.lease.add(digest);
  await input.store.content.put(manifestBytes, digest);
  const record = await input.store.records.put({ name: ImageRecords.recordName(parseReference(input.tag)), digest, mediaType: MediaType.ociManifest });
  return { record, digest, configDigest, manifest, config };
}
