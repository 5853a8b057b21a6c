import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from './ca.js';
import { buildCsr, parseCsr } from './x509.js';
import { int, oid, read, readOid } from './der.js';

function withTmp(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-pki-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('der: integers are minimal two-complement positives', () => {
  assert.deepEqual(int(0), Buffer.from([2, 1, 0]));
  assert.deepEqual(int(127), Buffer.from([2, 1, 0x7f]));
  assert.deepEqual(int(128), Buffer.from([2, 2, 0, 0x80]));
  assert.deepEqual(int(Buffer.from([0, 0, 1])), Buffer.from([2, 1, 1]));
});

test('der: OIDs round-trip, including multi-byte arcs', () => {
  for (const o of ['1.2.840.10045.4.3.2', '2.5.29.17', '1.3.6.1.5.5.7.3.2', '2.999.1']) assert.equal(readOid(read(oid(o))), o);
  assert.throws(() => oid('1'), /needs at least two arcs/);
  assert.throws(() => oid('1.x'), /arc "x" is not a number/);
});

test('der: truncated input is refused with the offset', () => {
  assert.throws(() => read(Buffer.from([0x30, 0x05, 1, 2])), /runs past the end/);
});

test('ca: self-signed CA certificate is accepted by openssl as a CA', withTmp((dir) => {
  const ca = CertificateAuthority.create({ commonName: 'Test CA' });
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, ca.certPem);
  const text = openssl(['x509', '-in', caPath, '-text', '-noout']);
  assert.equal(text.status, 0, text.out);
  assert.match(text.out, /Issuer: O ?= ?Berth, CN ?= ?Test CA/);
  assert.match(text.out, /CA:TRUE/);
  assert.match(text.out, /Certificate Sign, CRL Sign/);
  const v = openssl(['verify', '-CAfile', caPath, caPath]);
  assert.equal(v.status, 0, v.out);
  assert.equal(new X509Certificate(ca.certPem).ca, true);
}));

test('ca: client certificate from an EC CSR chains to the CA and names the node', withTmp((dir) => {
  const ca = CertificateAuthority.create();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const issued = ca.issueFromCsr(buildCsr('ignored-by-ca', privateKey, publicKey), { commonName: 'node-1', usage: 'client' });
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'c.pem'), issued.certPem);
  const v = openssl(['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslclient', join(dir, 'c.pem')]);
  assert.equal(v.status, 0, v.out);
  const text = openssl(['x509', '-in', join(dir, 'c.pem'), '-text', '-noout']);
  assert.match(text.out, /Subject: CN ?= ?node-1/);
  assert.match(text.out, /TLS Web Client Authentication/);
  assert.match(text.out, /CA:FALSE/);
  const x = new X509Certificate(issued.certPem);
  assert.equal(x.checkPrivateKey(privateKey), true);
  assert.equal(x.fingerprint256, issued.fingerprint256);
  assert.equal(x.serialNumber.toLowerCase().replace(/^0+/, ''), issued.serial.replace(/^0+/, ''));
}));

test('ca: CSRs made by openssl (RSA and Ed25519) are accepted', withTmp((dir) => {
  const ca = CertificateAuthority.create();
  for (const alg of [['-newkey', 'rsa:2048'], ['-newkey', 'ed25519']]) {
    const csrPath = join(dir, 'r.csr');
    const r = openssl(['req', '-new', ...alg, '-nodes', '-keyout', join(dir, 'k.pem'), '-subj', '/CN=agent', '-out', csrPath]);
    assert.equal(r.status, 0, r.out);
    const csr = readFileSync(csrPath, 'utf8');
    assert.equal(parseCsr(csr).commonName, 'agent');
    const issued = ca.issueFromCsr(csr, { commonName: 'node-rsa', usage: 'client' });
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'c.pem'), issued.certPem);
    const v = openssl(['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'c.pem')]);
    assert.equal(v.status, 0, `${alg.join(' ')}: ${v.out}`);
  }
}));

test('ca: a CSR with a forged signature is refused', () => {
  const ca = CertificateAuthority.create();
  const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // Signed with b's key but carrying a's public key: no proof of possession.
  const forged = buildCsr('x', b.privateKey, a.publicKey);
  assert.throws(() => ca.issueFromCsr(forged, { commonName: 'n', usage: 'client' }), /signature does not match the public key/);
});

test('ca: garbage CSRs are refused with what was wrong', () => {
  const ca = CertificateAuthority.create();
  assert.throws(() => ca.issueFromCsr('hello', { commonName: 'n', usage: 'client' }), /no "CERTIFICATE REQUEST" block/);
  const junk = `-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQA=\n-----END CERTIFICATE REQUEST-----\n`;
  assert.throws(() => ca.issueFromCsr(junk, { commonName: 'n', usage: 'client' }), /failed to parse certificate signing request/);
});

test('ca: server certificate carries DNS and IP subjectAltNames openssl sees', withTmp((dir) => {
  const ca = CertificateAuthority.create();
  const { certPem, keyPem } = ca.issueServerCertificate(['console.example', '10.1.2.3', 'fd00::1']);
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 's.pem'), certPem);
  const v = openssl(['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 's.pem')]);
  assert.equal(v.status, 0, v.out);
  const x = new X509Certificate(certPem);
  assert.equal(x.checkHost('console.example'), 'console.example');
  assert.equal(x.checkHost('localhost'), 'localhost');
  assert.equal(x.checkIP('10.1.2.3'), '10.1.2.3');
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkIP('fd00::1'), 'fd00::1');
  assert.equal(x.checkIP('10.9.9.9'), undefined);
  assert.equal(x.checkPrivateKey(createPrivateKey(keyPem)), true);
}));

test('ca: persisted in the data dir with 0600 files and reloaded unchanged', withTmp(async (dir) => {
  const first = await CertificateAuthority.loadOrCreate(dir);
  for (const f of ['ca.key', 'ca.crt']) assert.equal(statSync(join(dir, 'pki', f)).mode & 0o777, 0o600, f);
  assert.equal(statSync(join(dir, 'pki')).mode & 0o777, 0o700);
  const second = await CertificateAuthority.loadOrCreate(dir);
  assert.equal(second.certPem, first.certPem);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const issued = second.issueFromCsr(buildCsr('n', privateKey, publicKey), { commonName: 'n', usage: 'client' });
  assert.equal(new X509Certificate(issued.certPem).verify(new X509Certificate(first.certPem).publicKey), true);
  unlinkSync(join(dir, 'pki', 'ca.key'));
  await assert.rejects(CertificateAuthority.loadOrCreate(dir), /ca\.key is missing while its pair exists/);
}));

test('ca: certificates from another CA do not verify against this one', () => {
  const a = CertificateAuthority.create();
  const b = CertificateAuthority.create();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = new X509Certificate(b.issueFromCsr(buildCsr('n', privateKey, publicKey), { commonName: 'n', usage: 'client' }).certPem);
  assert.equal(cert.verify(new X509Certificate(a.certPem).publicKey), false);
  assert.equal(cert.checkIssued(new X509Certificate(b.certPem)), true);
});
