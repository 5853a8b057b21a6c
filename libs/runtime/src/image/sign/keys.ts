import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { causeText } from '../../errors.js';
import { ImageError } from '../errors.js';

/**
 * ECDSA P-256 keys as PEM, the key type cosign generates. Private keys are PKCS#8 (or SEC1
 * "EC PRIVATE KEY") PEM, optionally encrypted with a passphrase; public keys are SPKI PEM, the
 * same format `cosign public-key` prints, so `cosign verify --key` accepts them.
 */
export interface KeyPairPem {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function generateSigningKeyPair(passphrase?: string): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      ...(passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}),
    }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

function checkCurve(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const kind = key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve ?? '?'}` : key.asymmetricKeyType;
    throw new ImageError('invalid_key', `failed to load ${what}: expected an ECDSA P-256 key, got ${kind ?? 'unknown'}`);
  }
  return key;
}

export function loadPrivateKey(pem: string | KeyObject, passphrase?: string): KeyObject {
  if (typeof pem !== 'string') return checkCurve(pem, 'private key');
  if (pem.includes('SIGSTORE PRIVATE KEY')) {
    throw new ImageError('invalid_key', 'failed to load private key: cosign-encrypted keys (scrypt+secretbox) are not supported; export a PKCS#8 PEM');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch (err) {
    throw new ImageError('invalid_key', `failed to load private key: ${causeText(err)}`, { cause: err });
  }
  return checkCurve(key, 'private key');
}

export function loadPublicKey(pem: string | KeyObject): KeyObject {
  if (typeof pem !== 'string') return checkCurve(pem.type === 'private' ? createPublicKey(pem) : pem, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new ImageError('invalid_key', `failed to load public key: ${causeText(err)}`, { cause: err });
  }
  return checkCurve(key, 'public key');
}
