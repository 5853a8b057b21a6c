/**
 * The console as a certificate authority for its agents: one EC P-256 CA key and self-signed
 * certificate kept in `<dataDir>/pki/` (files 0600, directory 0700), client certificates for
 * nodes (common name = node id) issued from their CSRs, and the server certificate of the gRPC
 * listener with subjectAltNames for the hosts it listens on.
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConsoleError, errorMessage } from '../common/errors.js';
import { buildCertificate, parseCsr, pemEncode, randomSerial, type CertUsage } from './x509.js';

const DAY_MS = 86_400_000;
/** Backdating absorbs small clock skew between console and agents. */
const BACKDATE_MS = 5 * 60_000;

export interface IssuedCertificate {
  certPem: string;
  /** Hex serial number. */
  serial: string;
  /** SHA-256 fingerprint as node:crypto prints it ("AB:CD:..."). */
  fingerprint256: string;
  notAfter: Date;
}

export interface IssueOptions {
  commonName: string;
  usage: Exclude<CertUsage, 'ca'>;
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays?: number;
}

export interface CaOptions {
  /** Subject common name of the CA certificate. */
  commonName?: string;
  /** Validity of a new CA certificate, days (default 3650). */
  validityDays?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

export class CertificateAuthority {
  private constructor(
    private readonly key: KeyObject,
    private readonly publicKey: KeyObject,
    readonly certPem: string,
    private readonly commonName: string,
    private readonly now: () => Date,
  ) {}

  /** A new CA held in memory only. */
  static create(opts: CaOptions = {}): CertificateAuthority {
    const now = opts.now ?? (() => new Date());
    const commonName = opts.commonName ?? 'Berth console CA';
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const start = new Date(now().getTime() - BACKDATE_MS);
    const der = buildCertificate(
      { subject: { commonName, organization: 'Berth' }, publicKey, usage: 'ca', notBefore: start, notAfter: new Date(start.getTime() + (opts.validityDays ?? 3650) * DAY_MS) },
      { subject: { commonName, organization: 'Berth' }, privateKey, publicKey },
    );
    return new CertificateAuthority(privateKey, publicKey, pemEncode(der, 'CERTIFICATE'), commonName, now);
  }

  /** A CA from PEM text (key: PKCS#8 or SEC1). */
  static fromPem(certPem: string, keyPem: string, opts: Pick<CaOptions, 'now'> = {}): CertificateAuthority {
    let cert: X509Certificate;
    let key: KeyObject;
    try {
      cert = new X509Certificate(certPem);
      key = createPrivateKey(keyPem);
    } catch (err) {
      throw new ConsoleError('invalid_ca', 'invalid_argument', `failed to load CA: ${errorMessage(err)}`, { cause: err });
    }
    if (!cert.ca) throw new ConsoleError('invalid_ca', 'invalid_argument', 'failed to load CA: the certificate is not a CA certificate');
    if (!cert.checkPrivateKey(key)) throw new ConsoleError('invalid_ca', 'invalid_argument', 'failed to load CA: the key does not match the certificate');
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'Berth console CA';
    return new CertificateAuthority(key, createPublicKey(key), cert.toString(), cn, opts.now ?? (() => new Date()));
  }

  /**
   * Loads the CA from `<dataDir>/pki/ca.{crt,key}`, creating and persisting a new one on first
   * start. Refuses to run with only one of the two files present.
   */
  static async loadOrCreate(dataDir: string, opts: CaOptions = {}): Promise<CertificateAuthority> {
    const dir = join(dataDir, 'pki');
    const certPath = join(dir, 'ca.crt');
    const keyPath = join(dir, 'ca.key');
    const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
    if (certPem !== undefined && keyPem !== undefined) return CertificateAuthority.fromPem(certPem, keyPem, opts);
    if (certPem !== undefined || keyPem !== undefined) {
      const missing = certPem === undefined ? certPath : keyPath;
      throw new ConsoleError('ca_incomplete', 'failed_precondition', `failed to load CA: ${missing} is missing while its pair exists; restore it or remove both`);
    }
    const ca = CertificateAuthority.create(opts);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await writePrivate(keyPath, ca.key.export({ type: 'pkcs8', format: 'pem' }).toString());
    await writePrivate(certPath, ca.certPem);
    return ca;
  }

  /** Issues a certificate for the key in a PEM CSR after checking the CSR's signature. */
  issueFromCsr(csrPem: string, opts: IssueOptions): IssuedCertificate {
    return this.issueForKey(parseCsr(csrPem).publicKey, opts);
  }

  /** Issues a certificate for a public key. */
  issueForKey(publicKey: KeyObject, opts: IssueOptions): IssuedCertificate {
    if (opts.commonName.length === 0 || opts.commonName.length > 64) {
      throw new ConsoleError('invalid_common_name', 'invalid_argument', `failed to issue certificate: common name must be 1-64 characters, got ${opts.commonName.length}`);
    }
    const start = new Date(this.now().getTime() - BACKDATE_MS);
    const notAfter = new Date(start.getTime() + (opts.validityDays ?? 365) * DAY_MS);
    const serial = randomSerial();
    const der = buildCertificate(
      { subject: { commonName: opts.commonName }, publicKey, usage: opts.usage, notBefore: start, notAfter, dnsNames: opts.dnsNames ?? [], ipAddresses: opts.ipAddresses ?? [] },
      { subject: { commonName: this.commonName, organization: 'Berth' }, privateKey: this.key, publicKey: this.publicKey },
      serial,
    );
    const certPem = pemEncode(der, 'CERTIFICATE');
    return { certPem, serial: serial.toString('hex'), fingerprint256: new X509Certificate(certPem).fingerprint256, notAfter };
  }

  /**
   * A fresh key and server certificate for the gRPC listener. `hosts` are host names and IP
   * addresses clients dial; "localhost", 127.0.0.1 and ::1 are always included.
   */
  issueServerCertificate(hosts: string[], validityDays = 365): { certPem: string; keyPem: string } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const all = [...new Set([...hosts.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::'), 'localhost', '127.0.0.1', '::1'])];
    const issued = this.issueForKey(publicKey, {
      commonName: all.find((h) => isIP(h) === 0) ?? 'berth-console',
      usage: 'server',
      dnsNames: all.filter((h) => isIP(h) === 0),
      ipAddresses: all.filter((h) => isIP(h) !== 0),
      validityDays,
    });
    return { certPem: issued.certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConsoleError('ca_unreadable', 'internal', `failed to read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Write-then-rename so a crash never leaves a half-written key; mode 0600 from the start. */
async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'w' });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    throw new ConsoleError('ca_unwritable', 'internal', `failed to write ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
