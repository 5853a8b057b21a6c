import { causeText } from '../../errors.js';
import { ImageError } from '../errors.js';

/**
 * The cosign "simple signing" payload (containers/image signature format as cosign uses it):
 * https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
 */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

export interface SimpleSigningPayload {
  readonly critical: {
    readonly identity: { readonly 'docker-reference': string };
    readonly image: { readonly 'docker-manifest-digest': string };
    readonly type: string;
  };
  readonly optional: Readonly<Record<string, unknown>> | null;
}

export function makePayload(dockerReference: string, manifestDigest: string, optional: Record<string, unknown> = {}): Buffer {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional,
  };
  return Buffer.from(JSON.stringify(payload));
}

export function parsePayload(data: Uint8Array): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new ImageError('signature_invalid', `failed to parse signature payload: ${causeText(err)}`);
  }
  const c = (doc as { critical?: unknown })?.critical as Record<string, unknown> | undefined;
  const id = c?.identity as Record<string, unknown> | undefined;
  const img = c?.image as Record<string, unknown> | undefined;
  if (typeof id?.['docker-reference'] !== 'string' || typeof img?.['docker-manifest-digest'] !== 'string') {
    throw new ImageError('signature_invalid', 'failed to parse signature payload: critical.identity.docker-reference and critical.image.docker-manifest-digest are required');
  }
  if (c?.type !== SIMPLE_SIGNING_TYPE) {
    throw new ImageError('signature_invalid', `failed to parse signature payload: type is ${JSON.stringify(c?.type)}, expected "${SIMPLE_SIGNING_TYPE}"`);
  }
  return doc as SimpleSigningPayload;
}

/** `sha256:<hex>` -> `sha256-<hex>.sig`, the tag cosign stores signatures under. */
export function signatureTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}
