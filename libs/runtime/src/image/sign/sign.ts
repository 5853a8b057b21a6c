import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf } from '../digest.js';
import { ImageError } from '../errors.js';
import { parseImageManifest, type Descriptor, type ImageManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import { parseReference, referenceName, type ImageReference } from '../reference.js';
import type { RegistryClient, RepoRef } from '../registry/client.js';
import { fetchManifest, headManifest, putManifest } from '../registry/manifests.js';
import { uploadBlob } from '../registry/upload.js';
import { loadPrivateKey } from './keys.js';
import { makePayload, SIGNATURE_ANNOTATION, signatureTag } from './payload.js';

export interface SignOptions {
  readonly client: RegistryClient;
  readonly privateKey: string | KeyObject;
  readonly passphrase?: string;
  /** Extra `optional` payload entries (cosign -a key=value). */
  readonly annotations?: Record<string, string>;
}

export interface SignResult {
  readonly imageDigest: string;
  readonly signatureTag: string;
  readonly signatureManifestDigest: string;
  readonly payloadDigest: string;
  /** Base64 DER ECDSA signature over the payload. */
  readonly signature: string;
}

async function pushBuffer(client: RegistryClient, repo: RepoRef, data: Buffer): Promise<Descriptor & { size: number }> {
  const digest = digestOf(data);
  await uploadBlob(client, repo, { digest, size: data.length, open: (s, e) => Readable.from([data.subarray(s, e)]) });
  return { mediaType: '', digest, size: data.length };
}

/** Resolves a reference to its manifest digest in the registry (the digest if pinned). */
export async function resolveDigest(client: RegistryClient, ref: ImageReference): Promise<string> {
  if (ref.digest) return ref.digest;
  const repo = { registry: ref.registry, repository: ref.repository };
  const head = await headManifest(client, repo, ref.tag ?? 'latest');
  if (head?.digest) return head.digest;
  return (await fetchManifest(client, repo, ref.tag ?? 'latest')).digest;
}

/**
 * Signs an image in a registry the way `cosign sign --key` does: a simple-signing payload
 * layer with the signature annotation, in an OCI manifest tagged `sha256-<hex>.sig` in the same
 * repository. Existing signatures under that tag are kept (layers appended).
 */
export async function signImage(reference: string | ImageReference, opts: SignOptions): Promise<SignResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const key = loadPrivateKey(opts.privateKey, opts.passphrase);
  const repo: RepoRef = { registry: ref.registry, repository: ref.repository };
  const imageDigest = await resolveDigest(opts.client, ref);
  const payload = makePayload(referenceName(ref), imageDigest, opts.annotations ?? {});
  const signature = cryptoSign('sha256', payload, key).toString('base64');
  const payloadDesc = await pushBuffer(opts.client, repo, payload);
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [payloadDesc.digest] },
      config: {},
    }),
  );
  const configDesc = await pushBuffer(opts.client, repo, config);
  const tag = signatureTag(imageDigest);
  let existing: readonly Descriptor[] = [];
  try {
    existing = parseImageManifest((await fetchManifest(opts.client, repo, tag, MediaType.ociManifest)).data).layers;
  } catch (err) {
    if (!(err instanceof ImageError && err.code === 'not_found')) throw err;
  }
  const layer: Descriptor = {
    mediaType: MediaType.cosignSimpleSigning,
    digest: payloadDesc.digest,
    size: payloadDesc.size,
    annotations: { [SIGNATURE_ANNOTATION]: signature },
  };
  const layers = [...existing.filter((l) => l.annotations?.[SIGNATURE_ANNOTATION] !== signature), layer];
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDesc.digest, size: configDesc.size },
    layers,
  };
  const signatureManifestDigest = await putManifest(opts.client, repo, tag, Buffer.from(JSON.stringify(manifest)), MediaType.ociManifest);
  return { imageDigest, signatureTag: tag, signatureManifestDigest, payloadDigest: payloadDesc.digest, signature };
}
