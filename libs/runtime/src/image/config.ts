import { causeText } from '../errors.js';
import { parseDigest } from './digest.js';
import { ImageError } from './errors.js';

/** The parts of an OCI/Docker image config the runtime uses (image-spec config.md). */
export interface ImageRuntimeConfig {
  readonly User?: string;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Volumes?: Readonly<Record<string, object>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
}

export interface ImageHistory {
  readonly created?: string;
  readonly created_by?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly config: ImageRuntimeConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
  readonly history?: readonly ImageHistory[];
}

function bad(reason: string): ImageError {
  return new ImageError('invalid_config', `failed to parse image config: ${reason}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${path}${key} must be a string`);
  return v;
}

/** null is accepted and means unset, as Docker writes `"Cmd": null`. */
function optStrings(o: Record<string, unknown>, key: string, path: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${path}${key} must be an array of strings`);
  return v as string[];
}

function optSet(o: Record<string, unknown>, key: string, path: string): Record<string, object> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v) || Object.values(v).some((x) => !isObj(x))) throw bad(`${path}${key} must be an object of objects`);
  return v as Record<string, object>;
}

function runtimeConfig(v: unknown): ImageRuntimeConfig {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw bad('config must be an object');
  const p = 'config.';
  const env = optStrings(v, 'Env', p);
  for (const e of env ?? []) if (!e.includes('=')) throw bad(`config.Env entry "${e}" has no "="`);
  const labels = v.Labels;
  if (labels !== undefined && labels !== null && (!isObj(labels) || Object.values(labels).some((x) => typeof x !== 'string'))) {
    throw bad('config.Labels must be an object of strings');
  }
  const out: Record<string, unknown> = {
    User: optString(v, 'User', p),
    ExposedPorts: optSet(v, 'ExposedPorts', p),
    Env: env,
    Entrypoint: optStrings(v, 'Entrypoint', p),
    Cmd: optStrings(v, 'Cmd', p),
    Volumes: optSet(v, 'Volumes', p),
    WorkingDir: optString(v, 'WorkingDir', p),
    Labels: labels ?? undefined,
    StopSignal: optString(v, 'StopSignal', p),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as ImageRuntimeConfig;
}

/** Parses and validates an image config blob. */
export function parseImageConfig(data: Uint8Array | string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw bad(`not valid JSON: ${causeText(err)}`);
  }
  if (!isObj(doc)) throw bad('expected a JSON object');
  const architecture = optString(doc, 'architecture', '');
  const os = optString(doc, 'os', '');
  if (!architecture) throw bad('architecture is missing');
  if (!os) throw bad('os is missing');
  const rootfs = doc.rootfs;
  if (!isObj(rootfs) || rootfs.type !== 'layers') throw bad('rootfs.type must be "layers"');
  const diffIds = optStrings(rootfs, 'diff_ids', 'rootfs.');
  if (!diffIds) throw bad('rootfs.diff_ids is missing');
  diffIds.forEach((d, i) => {
    try {
      parseDigest(d);
    } catch (err) {
      throw bad(`rootfs.diff_ids[${i}]: ${causeText(err)}`);
    }
  });
  const history = doc.history;
  if (history !== undefined && history !== null && (!Array.isArray(history) || history.some((h) => !isObj(h)))) {
    throw bad('history must be an array of objects');
  }
  const variant = optString(doc, 'variant', '');
  const created = optString(doc, 'created', '');
  const author = optString(doc, 'author', '');
  return {
    ...(created !== undefined ? { created } : {}),
    ...(author !== undefined ? { author } : {}),
    architecture,
    os,
    ...(variant !== undefined ? { variant } : {}),
    config: runtimeConfig(doc.config),
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...(Array.isArray(history) ? { history: history as ImageHistory[] } : {}),
  };
}
