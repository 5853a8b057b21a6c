import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addImage, withEnv } from '../fake-env.test-helper.js';
import { pullImage } from '../pull.js';
import { ImageError } from '../errors.js';
import { parseReference } from '../reference.js';
import { RegistryClient } from '../registry/client.js';
import { generateSigningKeyPair, loadPrivateKey } from './keys.js';
import { signatureTag, parsePayload } from './payload.js';
import { parsePolicy, ruleFor } from './policy.js';
import { signImage } from './sign.js';
import { verifyImageSignature } from './verify.js';
import { generateKeyPairSync } from 'node:crypto';

const fast = { retries: 1, backoffMs: 1, timeoutMs: 5000 };

test('signImage writes a cosign simple-signing manifest under sha256-<hex>.sig that verifyImageSignature accepts', () =>
  withEnv({}, async (reg) => {
    const img = addImage(reg, 'team/app', 'v1', ['l']);
    const keys = generateSigningKeyPair();
    const client = new RegistryClient(fast);
    const s = await signImage(`${reg.host}/team/app:v1`, { client, privateKey: keys.privateKeyPem });
    assert.equal(s.imageDigest, img.digest);
    assert.equal(s.signatureTag, `sha256-${img.digest.slice(7)}.sig`);
    const sig = JSON.parse(reg.manifests.get(`team/app:${signatureTag(img.digest)}`)?.data.toString() ?? '{}') as {
      layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }>;
    };
    assert.equal(sig.layers[0]?.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.equal(sig.layers[0]?.annotations['dev.cosignproject.cosign/signature'], s.signature);
    const payload = parsePayload(reg.blobs.get(sig.layers[0]?.digest ?? '') ?? Buffer.alloc(0));
    assert.equal(payload.critical.image['docker-manifest-digest'], img.digest);
    assert.equal(payload.critical.identity['docker-reference'], `${reg.host}/team/app`);
    const ok = await verifyImageSignature(client, { registry: reg.host, repository: 'team/app' }, img.digest, [keys.publicKeyPem]);
    assert.equal(ok.length, 1);
    // a second signer appends a layer
    const other = generateSigningKeyPair();
    await signImage(`${reg.host}/team/app@${img.digest}`, { client, privateKey: other.privateKeyPem });
    const both = await verifyImageSignature(client, { registry: reg.host, repository: 'team/app' }, img.digest, [keys.publicKeyPem, other.publicKeyPem]);
    assert.deepEqual(both.map((v) => v.keyIndex).sort(), [0, 1]);
  }));

test('verifyImageSignature: no signature -> signature_required; wrong key -> signature_invalid', () =>
  withEnv({}, async (reg) => {
    const img = addImage(reg, 'team/app', 'v1', ['l']);
    const client = new RegistryClient(fast);
    const repo = { registry: reg.host, repository: 'team/app' };
    const k = generateSigningKeyPair();
    await assert.rejects(verifyImageSignature(client, repo, img.digest, [k.publicKeyPem]), (e: unknown) => e instanceof ImageError && e.code === 'signature_required');
    await signImage(`${reg.host}/team/app:v1`, { client, privateKey: generateSigningKeyPair().privateKeyPem });
    await assert.rejects(verifyImageSignature(client, repo, img.digest, [k.publicKeyPem]), (e: unknown) =>
      e instanceof ImageError && e.code === 'signature_invalid' && /does not verify with any of the 1 key/.test(e.message),
    );
  }));

test('verifyImageSignature rejects a valid signature over a payload for another digest', () =>
  withEnv({}, async (reg) => {
    const a = addImage(reg, 'team/app', 'a', ['la']);
    const b = addImage(reg, 'team/app', 'b', ['lb']);
    const client = new RegistryClient(fast);
    const k = generateSigningKeyPair();
    await signImage(`${reg.host}/team/app:a`, { client, privateKey: k.privateKeyPem });
    // copy a's signature manifest to b's signature tag
    const sigA = reg.manifests.get(`team/app:${signatureTag(a.digest)}`);
    assert.ok(sigA);
    reg.manifests.set(`team/app:${signatureTag(b.digest)}`, sigA);
    await assert.rejects(verifyImageSignature(client, { registry: reg.host, repository: 'team/app' }, b.digest, [k.publicKeyPem]), new RegExp(`payload is for ${a.digest}, not ${b.digest}`));
  }));

test('pullImage enforces the policy before recording the image', () =>
  withEnv({}, async (reg, store) => {
    addImage(reg, 'prod/app', 'v1', ['l']);
    addImage(reg, 'dev/app', 'v1', ['d']);
    const k = generateSigningKeyPair();
    const policy = parsePolicy({ [`${reg.host}/prod`]: { requireSignature: true, keys: [k.publicKeyPem] }, [reg.host]: { requireSignature: false } });
    const client = new RegistryClient(fast);
    await assert.rejects(pullImage(`${reg.host}/prod/app:v1`, { store, registry: client, policy }), (e: unknown) => e instanceof ImageError && e.code === 'signature_required');
    assert.deepEqual(await store.list(), []);
    await pullImage(`${reg.host}/dev/app:v1`, { store, registry: client, policy });
    await signImage(`${reg.host}/prod/app:v1`, { client, privateKey: generateSigningKeyPair().privateKeyPem });
    await assert.rejects(pullImage(`${reg.host}/prod/app:v1`, { store, registry: client, policy }), (e: unknown) => e instanceof ImageError && e.code === 'signature_invalid');
    await signImage(`${reg.host}/prod/app:v1`, { client, privateKey: k.privateKeyPem });
    const r = await pullImage(`${reg.host}/prod/app:v1`, { store, registry: client, policy });
    assert.equal(r.record.name, `${reg.host}/prod/app:v1`);
  }));

test('parsePolicy validates rules and ruleFor picks the longest prefix at a path boundary', () => {
  const k = generateSigningKeyPair().publicKeyPem;
  const p = parsePolicy(JSON.stringify({ 'r.io': { requireSignature: false }, 'r.io/team': { requireSignature: true, keys: [k] } }));
  assert.equal(ruleFor(p, parseReference('r.io/team/app'))?.prefix, 'r.io/team');
  assert.equal(ruleFor(p, parseReference('r.io/teamx/app'))?.prefix, 'r.io');
  assert.equal(ruleFor(p, parseReference('other.io/a')), undefined);
  assert.throws(() => parsePolicy({ 'r.io': { requireSignature: true, keys: [] } }), /requires a signature but lists no keys/);
  assert.throws(() => parsePolicy({ 'r.io': { requireSignature: true, keys: ['nope'] } }), /keys\[0\]: failed to load public key/);
  assert.throws(() => parsePolicy({ 'r.io': { requireSignature: 'yes' } }), /needs a boolean requireSignature/);
  assert.throws(() => parsePolicy({ 'r.io/app:tag@x': { requireSignature: false } }), /invalid prefix/);
});

test('loadPrivateKey accepts encrypted PKCS#8 P-256 and rejects other curves and RSA', () => {
  const k = generateSigningKeyPair('pw');
  assert.equal(loadPrivateKey(k.privateKeyPem, 'pw').asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.throws(() => loadPrivateKey(k.privateKeyPem, 'wrong'), /failed to load private key/);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.throws(() => loadPrivateKey(p384), /expected an ECDSA P-256 key, got ec secp384r1/);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.throws(() => loadPrivateKey(rsa), /got rsa/);
});
