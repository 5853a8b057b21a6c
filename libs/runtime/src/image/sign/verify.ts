import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { causeText } from '../../errors.js';
import { ImageError } from '../errors.js';
import { parseImageManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import { fetchBlob } from '../registry/blobs.js';
import type { RegistryClient, RepoRef } from '../registry/client.js';
import { fetchManifest } from '../registry/manifests.js';
import { loadPublicKey } from './keys.js';
import { parsePayload, SIGNATURE_ANNOTATION, signatureTag, type SimpleSigningPayload } from './payload.js';

export interface VerifiedSignature {
  /** Index into the keys given. */
  readonly keyIndex: number;
  readonly payload: SimpleSigningPayload;
  readonly payloadDigest: string;
}

/**
 * Verifies cosign key-based signatures of `imageDigest`: fetches `sha256-<hex>.sig`, and for
 * each simple-signing layer checks the payload digest (while fetching), the ECDSA signature
 * against the keys, and that the payload names `imageDigest`. Succeeds when at least one
 * signature verifies; otherwise `signature_required` (none found) or `signature_invalid`
 * (found, none valid) with every reason.
 */
export async function verifyImageSignature(
  client: RegistryClient,
  repo: RepoRef,
  imageDigest: string,
  keys: ReadonlyArray<string | KeyObject>,
): Promise<VerifiedSignature[]> {
  const where = `${repo.registry}/${repo.repository}@${imageDigest}`;
  if (keys.length === 0) throw new ImageError('invalid_policy', `failed to verify ${where}: no public keys given`);
  const publicKeys = keys.map((k) => loadPublicKey(k));
  let layers;
  try {
    const m = await fetchManifest(client, repo, signatureTag(imageDigest), `${MediaType.ociManifest}, ${MediaType.dockerManifest}`);
    layers = parseImageManifest(m.data, m.mediaType).layers.filter((l) => l.mediaType === MediaType.cosignSimpleSigning);
  } catch (err) {
    if (err instanceof ImageError && err.code === 'not_found') {
      throw new ImageError('signature_required', `failed to verify ${where}: no signature (tag ${signatureTag(imageDigest)} not found)`, { cause: err });
    }
    throw err;
  }
  if (layers.length === 0) {
    throw new ImageError('signature_required', `failed to verify ${where}: signature manifest has no simple-signing layers`);
  }
  const ok: VerifiedSignature[] = [];
  const reasons: string[] = [];
  for (const layer of layers) {
    const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!sig) {
      reasons.push(`${layer.digest}: no ${SIGNATURE_ANNOTATION} annotation`);
      continue;
    }
    let data: Buffer;
    try {
      data = await fetchBlob(client, repo, layer.digest, 1024 * 1024);
    } catch (err) {
      reasons.push(`${layer.digest}: ${causeText(err)}`);
      continue;
    }
    const sigBytes = Buffer.from(sig, 'base64');
    const keyIndex = publicKeys.findIndex((k) => cryptoVerify('sha256', data, k, sigBytes));
    if (keyIndex < 0) {
      reasons.push(`${layer.digest}: signature does not verify with any of the ${publicKeys.length} key(s)`);
      continue;
    }
    try {
      const payload = parsePayload(data);
      const named = payload.critical.image['docker-manifest-digest'];
      if (named !== imageDigest) {
        reasons.push(`${layer.digest}: payload is for ${named}, not ${imageDigest}`);
        continue;
      }
      ok.push({ keyIndex, payload, payloadDigest: layer.digest });
    } catch (err) {
      reasons.push(`${layer.digest}: ${causeText(err)}`);
    }
  }
  if (ok.length === 0) {
    throw new ImageError('signature_invalid', `failed to verify ${where}: no valid signature (${reasons.join('; ')})`);
  }
  return ok;
}
