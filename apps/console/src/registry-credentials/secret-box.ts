import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConsoleError, errorMessage } from '../common/errors.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest. Sealed form: nonce (12) || ciphertext || tag (16). The
 * associated data binds a ciphertext to its row (e.g. the credential's name), so a sealed
 * value copied to another row does not open.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new ConsoleError('invalid_secret_key', 'internal', `failed to load secret key: want ${KEY_BYTES} bytes, got ${key.length}`);
    return new SecretBox(Buffer.from(key));
  }

  /** Reads the key file, creating it (mode 0600, exclusive) with a random key on first start. */
  static async fromKeyFile(path: string): Promise<SecretBox> {
    try {
      return SecretBox.fromKey(await readFile(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (err instanceof ConsoleError) throw new ConsoleError(err.code, 'internal', `failed to load secret key ${path}: ${err.message}`, { cause: err });
        throw new ConsoleError('secret_key_unreadable', 'internal', `failed to read secret key ${path}: ${errorMessage(err)}`, { cause: err });
      }
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const key = randomBytes(KEY_BYTES);
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(key);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return SecretBox.fromKey(key);
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return SecretBox.fromKey(await readFile(path));
      throw new ConsoleError('secret_key_unwritable', 'internal', `failed to create secret key ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  seal(plaintext: string, aad: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return Buffer.concat([nonce, ct, c.getAuthTag()]);
  }

  open(sealed: Uint8Array, aad: string): string {
    const buf = Buffer.from(sealed);
    if (buf.length < NONCE_BYTES + TAG_BYTES) throw new ConsoleError('secret_corrupt', 'internal', 'failed to decrypt secret: sealed value is too short');
    const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, NONCE_BYTES));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(buf.subarray(NONCE_BYTES, buf.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch (err) {
      throw new ConsoleError('secret_corrupt', 'internal', 'failed to decrypt secret: wrong key or tampered data', { cause: err });
    }
  }
}
