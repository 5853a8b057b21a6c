import { causeText } from '../errors.js';
import { parseDigest } from './digest.js';
import { ImageError } from './errors.js';
import {
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MediaType,
  isIndexType,
  isManifestType,
} from './media-types.js';

/** OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
}

/** OCI image manifest or Docker schema2 manifest (same shape). */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** OCI image index or Docker manifest list. */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type ParsedManifest =
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: string; readonly index: ImageIndex };

function bad(what: string, reason: string): ImageError {
  return new ImageError('invalid_manifest', `failed to parse ${what}: ${reason}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkStringMap(what: string, field: string, v: unknown): void {
  if (v === undefined) return;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw bad(what, `${field} must be an object of strings`);
  }
}

/** Validates one descriptor; `field` names it in errors (e.g. `layers[2]`). */
export function checkDescriptor(what: string, field: string, v: unknown): Descriptor {
  if (!isObject(v)) throw bad(what, `${field} must be an object`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') throw bad(what, `${field}.mediaType must be a string`);
  if (typeof v.digest !== 'string') throw bad(what, `${field}.digest must be a string`);
  try {
    parseDigest(v.digest);
  } catch (err) {
    throw bad(what, `${field}.digest: ${causeText(err)}`);
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw bad(what, `${field}.size must be a non-negative integer`);
  }
  checkStringMap(what, `${field}.annotations`, v.annotations);
  if (v.urls !== undefined && (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string'))) {
    throw bad(what, `${field}.urls must be an array of strings`);
  }
  if (v.platform !== undefined) {
    const p = v.platform;
    if (!isObject(p) || typeof p.os !== 'string' || typeof p.architecture !== 'string') {
      throw bad(what, `${field}.platform needs string os and architecture`);
    }
    if (p.variant !== undefined && typeof p.variant !== 'string') throw bad(what, `${field}.platform.variant must be a string`);
  }
  return v as unknown as Descriptor;
}

/**
 * Parses a manifest or index. The media type comes from the document's `mediaType`, else from
 * the HTTP Content-Type, else (OCI allows omitting it) from the shape. When `accept` is given,
 * any other media type fails with a message naming the expected and the actual type.
 */
export function parseManifest(
  data: Uint8Array | string,
  opts: { contentType?: string; accept?: readonly string[]; what?: string } = {},
): ParsedManifest {
  const what = opts.what ?? 'manifest';
  let doc: unknown;
  try {
    doc = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw bad(what, `not valid JSON: ${causeText(err)}`);
  }
  if (!isObject(doc)) throw bad(what, 'expected a JSON object');
  if (doc.schemaVersion !== 2) throw bad(what, `unsupported schemaVersion ${JSON.stringify(doc.schemaVersion)} (want 2)`);
  const header = opts.contentType?.split(';')[0]?.trim();
  let mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.mediaType !== undefined && mediaType === undefined) throw bad(what, 'mediaType must be a string');
  if (mediaType === undefined) {
    if (header && (isManifestType(header) || isIndexType(header))) mediaType = header;
    else if (Array.isArray(doc.manifests)) mediaType = MediaType.ociIndex;
    else if (doc.config !== undefined) mediaType = MediaType.ociManifest;
  }
  const accept = opts.accept ?? [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];
  if (mediaType === undefined || !accept.includes(mediaType)) {
    throw new ImageError(
      'unsupported_media_type',
      `failed to parse ${what}: unexpected media type: expected one of ${accept.join(', ')}, actual ${mediaType ?? 'none'}`,
    );
  }
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw bad(what, 'index has no manifests array');
    doc.manifests.forEach((d, i) => checkDescriptor(what, `manifests[${i}]`, d));
    if (doc.subject !== undefined) checkDescriptor(what, 'subject', doc.subject);
    checkStringMap(what, 'annotations', doc.annotations);
    return { kind: 'index', mediaType, index: { ...(doc as unknown as ImageIndex), mediaType } };
  }
  checkDescriptor(what, 'config', doc.config);
  if (!Array.isArray(doc.layers)) throw bad(what, 'manifest has no layers array');
  doc.layers.forEach((d, i) => checkDescriptor(what, `layers[${i}]`, d));
  if (doc.subject !== undefined) checkDescriptor(what, 'subject', doc.subject);
  checkStringMap(what, 'annotations', doc.annotations);
  if (mediaType === MediaType.dockerManifest) {
    const cfg = (doc.config as Descriptor).mediaType;
    if (cfg !== MediaType.dockerConfig) {
      throw new ImageError(
        'unsupported_media_type',
        `failed to parse ${what}: config media type: expected ${MediaType.dockerConfig}, actual ${cfg}`,
      );
    }
  }
  return { kind: 'manifest', mediaType, manifest: { ...(doc as unknown as ImageManifest), mediaType } };
}

/** Parses and requires an image manifest (not an index). */
export function parseImageManifest(data: Uint8Array | string, contentType?: string): ImageManifest {
  const p = parseManifest(data, { accept: MANIFEST_MEDIA_TYPES, ...(contentType ? { contentType } : {}) });
  if (p.kind !== 'manifest') throw bad('manifest', 'expected an image manifest');
  return p.manifest;
}

/** Parses and requires an index or manifest list. */
export function parseImageIndex(data: Uint8Array | string, contentType?: string): ImageIndex {
  const p = parseManifest(data, { accept: INDEX_MEDIA_TYPES, what: 'index', ...(contentType ? { contentType } : {}) });
  if (p.kind !== 'index') throw bad('index', 'expected an image index');
  return p.index;
}

/** Descriptors a manifest or index points to (config, layers, sub-manifests, subject excluded). */
export function childDescriptors(parsed: ParsedManifest): Descriptor[] {
  if (parsed.kind === 'index') return [...parsed.index.manifests];
  return [parsed.manifest.config, ...parsed.manifest.layers];
}
