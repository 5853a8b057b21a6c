/**
 * X.509 v3 certificates (RFC 5280) and PKCS#10 requests (RFC 2986) built with the DER encoder
 * in der.ts and signed with node:crypto, which can sign bytes but not build certificates.
 * Supported keys: EC P-256 (what the console generates), Ed25519 and RSA (accepted in CSRs).
 */
import { createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ConsoleError, errorMessage } from '../common/errors.js';
import { TAG, bits, bool, children, ctx, int, nul, octets, oid, readOid, readWhole, seq, set, time, tlv, utf8 } from './der.js';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  rsaSha256: '1.2.840.113549.1.1.11',
  rsaSha384: '1.2.840.113549.1.1.12',
  rsaSha512: '1.2.840.113549.1.1.13',
  ed25519: '1.3.101.112',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Verification digest per signature algorithm OID; null = the key type implies it (Ed25519). */
const SIG_HASH: Record<string, string | null> = {
  [OID.ecdsaSha256]: 'sha256',
  [OID.ecdsaSha384]: 'sha384',
  [OID.rsaSha256]: 'sha256',
  [OID.rsaSha384]: 'sha384',
  [OID.rsaSha512]: 'sha512',
  [OID.ed25519]: null,
};

export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

/** What a certificate is for; decides basicConstraints, keyUsage and extKeyUsage. */
export type CertUsage = 'ca' | 'client' | 'server';

export interface CertificateTemplate {
  subject: DistinguishedName;
  /** Public key being certified. */
  publicKey: KeyObject;
  usage: CertUsage;
  notBefore: Date;
  notAfter: Date;
  /** subjectAltName entries: host names and IP addresses (v4 or v6). */
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface Issuer {
  subject: DistinguishedName;
  /** Issuer's private key; for a self-signed certificate, the subject's own. */
  privateKey: KeyObject;
  /** Issuer's public key (for the authority key identifier). */
  publicKey: KeyObject;
}

function name(dn: DistinguishedName): Buffer {
  const rdns = [set(seq(oid(OID.commonName), utf8(dn.commonName)))];
  if (dn.organization !== undefined) rdns.unshift(set(seq(oid(OID.organization), utf8(dn.organization))));
  return seq(...rdns);
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** SHA-1 of the subjectPublicKey BIT STRING content (RFC 5280 4.2.1.2, method 1). */
export function keyIdentifier(key: KeyObject): Buffer {
  const [, bitString] = children(readWhole(spki(key), TAG.SEQUENCE, 'public key'));
  if (bitString === undefined) throw new ConsoleError('malformed_key', 'invalid_argument', 'failed to read public key: no subjectPublicKey');
  return createHash('sha1').update(bitString.content.subarray(1)).digest();
}

function signatureAlgorithm(key: KeyObject): { algId: Buffer; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return { algId: seq(oid(OID.ecdsaSha256)), hash: 'sha256' };
    case 'ed25519':
      return { algId: seq(oid(OID.ed25519)), hash: null };
    case 'rsa':
      return { algId: seq(oid(OID.rsaSha256), nul()), hash: 'sha256' };
    default:
      throw new ConsoleError('unsupported_key', 'invalid_argument', `failed to sign: key type ${String(key.asymmetricKeyType)} is not supported (use EC P-256, Ed25519 or RSA)`);
  }
}

/** KeyUsage BIT STRING from bit numbers (digitalSignature=0, keyEncipherment=2, keyCertSign=5, cRLSign=6). */
function keyUsageBits(bitNumbers: number[]): Buffer {
  let byte = 0;
  for (const b of bitNumbers) byte |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return bits(Buffer.from([byte]), unused);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function ipBytes(ip: string): Buffer {
  const v = isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v === 6) {
    const [head = '', tail = ''] = ip.split('::');
    const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
    const h = parse(head);
    const t = ip.includes('::') ? parse(tail) : [];
    const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
    return out;
  }
  throw new ConsoleError('invalid_ip', 'invalid_argument', `failed to add subjectAltName: ${JSON.stringify(ip)} is not an IP address`);
}

function extensions(t: CertificateTemplate, issuer: Issuer): Buffer {
  const exts: Buffer[] = [];
  if (t.usage === 'ca') {
    exts.push(extension(OID.basicConstraints, true, seq(bool(true))));
    exts.push(extension(OID.keyUsage, true, keyUsageBits([0, 5, 6])));
  } else {
    exts.push(extension(OID.basicConstraints, true, seq()));
    const ku = t.publicKey.asymmetricKeyType === 'rsa' ? [0, 2] : [0];
    exts.push(extension(OID.keyUsage, true, keyUsageBits(ku)));
    exts.push(extension(OID.extKeyUsage, false, seq(oid(t.usage === 'server' ? OID.serverAuth : OID.clientAuth))));
  }
  exts.push(extension(OID.subjectKeyId, false, octets(keyIdentifier(t.publicKey))));
  if (t.usage !== 'ca') exts.push(extension(OID.authorityKeyId, false, seq(ctx(0, keyIdentifier(issuer.publicKey), false))));
  const san = [...(t.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...(t.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip)))];
  if (san.length > 0) exts.push(extension(OID.subjectAltName, false, seq(...san)));
  return ctx(3, seq(...exts), true);
}

/** Random positive 127-bit serial number (RFC 5280: at most 20 octets, positive). */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 1) & 0x7f) | 0x01;
  return b;
}

/** Builds and signs a certificate; returns its DER encoding. */
export function buildCertificate(t: CertificateTemplate, issuer: Issuer, serial: Buffer = randomSerial()): Buffer {
  if (t.notAfter.getTime() <= t.notBefore.getTime()) {
    throw new ConsoleError('invalid_validity', 'invalid_argument', `failed to issue certificate for ${JSON.stringify(t.subject.commonName)}: notAfter must be after notBefore`);
  }
  const alg = signatureAlgorithm(issuer.privateKey);
  const tbs = seq(
    ctx(0, int(2), true),
    int(serial),
    alg.algId,
    name(issuer.subject),
    seq(time(t.notBefore), time(t.notAfter)),
    name(t.subject),
    spki(t.publicKey),
    extensions(t, issuer),
  );
  const signature = sign(alg.hash, tbs, issuer.privateKey);
  return seq(tbs, alg.algId, bits(signature));
}

/** A verified certificate signing request. */
export interface CertificationRequest {
  publicKey: KeyObject;
  /** Common name the requester asked for (informational; the CA sets its own). */
  commonName: string | undefined;
}

function invalidCsr(detail: string, cause?: unknown): ConsoleError {
  return new ConsoleError('invalid_csr', 'invalid_argument', `failed to parse certificate signing request: ${detail}`, { cause });
}

/** Decodes one PEM block with the given label ("CERTIFICATE REQUEST"). */
export function pemDecode(pem: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m?.[1]) throw new ConsoleError('invalid_pem', 'invalid_argument', `failed to decode PEM: no "${label}" block found`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

export function pemEncode(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Parses a PEM PKCS#10 request and verifies its self-signature (proof of key possession). */
export function parseCsr(pem: string): CertificationRequest {
  const der = pemDecode(pem, 'CERTIFICATE REQUEST');
  const [info, algId, sig] = children(readWhole(der, TAG.SEQUENCE, 'certificate signing request'), 'certificate signing request');
  if (!info || !algId || !sig || info.tag !== TAG.SEQUENCE || sig.tag !== TAG.BIT_STRING) throw invalidCsr('expected SEQUENCE { info, algorithm, signature }');
  const [version, subject, keyInfo] = children(info, 'certificate signing request info');
  if (!version || version.tag !== TAG.INTEGER || version.content.length !== 1 || version.content[0] !== 0) throw invalidCsr('version must be 0 (v1)');
  if (!subject || subject.tag !== TAG.SEQUENCE || !keyInfo || keyInfo.tag !== TAG.SEQUENCE) throw invalidCsr('missing subject or subjectPKInfo');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: keyInfo.raw, format: 'der', type: 'spki' });
  } catch (err) {
    throw invalidCsr(`unreadable public key: ${errorMessage(err)}`, err);
  }
  const [algOid] = children(algId);
  const algText = algOid ? readOid(algOid, 'signature algorithm') : '';
  const hash = SIG_HASH[algText];
  if (hash === undefined) throw invalidCsr(`signature algorithm ${algText || '(none)'} is not supported`);
  let ok = false;
  try {
    ok = verify(hash, info.raw, publicKey, sig.content.subarray(1));
  } catch (err) {
    throw invalidCsr(`signature check failed: ${errorMessage(err)}`, err);
  }
  if (!ok) throw invalidCsr('the signature does not match the public key');
  return { publicKey, commonName: commonNameOf(subject.raw) };
}

function commonNameOf(nameDer: Buffer): string | undefined {
  for (const rdn of children(readWhole(nameDer, TAG.SEQUENCE, 'name'))) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (type && value && readOid(type) === OID.commonName) return value.content.toString('utf8');
    }
  }
  return undefined;
}

/** Builds a PEM PKCS#10 request for `commonName`, signed with `privateKey` (agents and tests). */
export function buildCsr(commonName: string, privateKey: KeyObject, publicKey: KeyObject): string {
  const info = seq(int(0), name({ commonName }), spki(publicKey), ctx(0, Buffer.alloc(0), true));
  const alg = signatureAlgorithm(privateKey);
  return pemEncode(seq(info, alg.algId, bits(sign(alg.hash, info, privateKey))), 'CERTIFICATE REQUEST');
}
