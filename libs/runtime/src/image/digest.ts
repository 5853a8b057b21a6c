import { createHash, type Hash } from 'node:crypto';
import { ImageError } from './errors.js';

/** Content digests as the OCI image spec defines them: `<algorithm>:<encoded>`. */
export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/** Parses `sha256:<64 hex>` (or sha512); throws ImageError('invalid_digest') naming what is wrong. */
export function parseDigest(digest: string): ParsedDigest {
  const colon = typeof digest === 'string' ? digest.indexOf(':') : -1;
  if (colon <= 0) {
    throw new ImageError('invalid_digest', `failed to parse digest "${String(digest)}": expected <algorithm>:<hex>`);
  }
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new ImageError('invalid_digest', `failed to parse digest "${digest}": unsupported algorithm "${algorithm}"`);
  }
  const want = HEX_LENGTH[algorithm];
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex)) {
    throw new ImageError(
      'invalid_digest',
      `failed to parse digest "${digest}": ${algorithm} needs ${want} lower-case hex characters`,
    );
  }
  return { algorithm, hex };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** sha256 digest of bytes or a UTF-8 string. */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Incremental digester; `digest()` may be called once. */
export class Digester {
  private readonly hash: Hash;
  private bytes = 0;

  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  get size(): number {
    return this.bytes;
  }

  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/** Throws ImageError('digest_mismatch') naming what, expected and actual. */
export function assertDigest(what: string, expected: string, actual: string): void {
  if (expected !== actual) {
    throw new ImageError(
      'digest_mismatch',
      `failed to verify ${what}: digest mismatch: expected ${expected}, actual ${actual}`,
    );
  }
}
