import { assertDigest, digestOf, parseDigest } from '../digest.js';
import { ImageError } from '../errors.js';
import { MANIFEST_ACCEPT } from '../media-types.js';
import type { RegistryClient, RepoRef } from './client.js';
import { header, readBody } from './transport.js';

/** Manifest endpoints: GET/HEAD/PUT /v2/<name>/manifests/<reference>. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly data: Buffer;
}

const MAX_MANIFEST = 4 * 1024 * 1024;

function contentType(v: string | undefined): string {
  return (v ?? '').split(';')[0]?.trim() ?? '';
}

/** Fetches a manifest by tag or digest; a digest reference is verified against the bytes. */
export async function fetchManifest(
  client: RegistryClient,
  repo: RepoRef,
  reference: string,
  accept: string = MANIFEST_ACCEPT,
): Promise<FetchedManifest> {
  const res = await client.request(repo, ['pull'], {
    method: 'GET',
    path: `${repo.repository}/manifests/${reference}`,
    headers: { accept },
    ok: [200],
    verb: 'fetch',
    object: `manifest ${reference}`,
  });
  const declared = Number(header(res, 'content-length') ?? Number.NaN);
  if (declared > MAX_MANIFEST) {
    res.body.destroy();
    throw new ImageError('invalid_manifest', `failed to fetch manifest ${reference} in ${repo.registry}/${repo.repository}: ${declared} bytes exceeds ${MAX_MANIFEST}`);
  }
  const data = await readBody(res, MAX_MANIFEST);
  const headerDigest = header(res, 'docker-content-digest');
  let digest: string;
  if (reference.includes(':')) {
    const alg = parseDigest(reference).algorithm;
    digest = digestOf(data, alg);
    assertDigest(`manifest ${reference} from ${repo.registry}/${repo.repository}`, reference, digest);
  } else {
    digest = digestOf(data);
    if (headerDigest && headerDigest.startsWith('sha256:')) {
      assertDigest(`manifest ${reference} from ${repo.registry}/${repo.repository} (Docker-Content-Digest)`, headerDigest, digest);
    }
  }
  return { digest, mediaType: contentType(header(res, 'content-type')), data };
}

/** HEAD a manifest: digest, media type and size, or undefined when the registry has none. */
export async function headManifest(
  client: RegistryClient,
  repo: RepoRef,
  reference: string,
): Promise<{ digest?: string; mediaType: string; size: number } | undefined> {
  const res = await client.request(repo, ['pull'], {
    method: 'HEAD',
    path: `${repo.repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    ok: [200, 404],
    verb: 'check',
    object: `manifest ${reference}`,
  });
  res.body.resume();
  if (res.status === 404) return undefined;
  const digest = header(res, 'docker-content-digest');
  return {
    ...(digest ? { digest } : {}),
    mediaType: contentType(header(res, 'content-type')),
    size: Number(header(res, 'content-length') ?? 0),
  };
}

/** PUT a manifest under a tag or digest with its media type; returns the digest of the bytes. */
export async function putManifest(
  client: RegistryClient,
  repo: RepoRef,
  reference: string,
  data: Buffer,
  mediaType: string,
): Promise<string> {
  const digest = digestOf(data);
  const res = await client.request(repo, ['pull', 'push'], {
    method: 'PUT',
    path: `${repo.repository}/manifests/${reference}`,
    headers: { 'content-type': mediaType },
    body: data,
    ok: [201, 200, 202],
    verb: 'push',
    object: `manifest ${reference}`,
  });
  res.body.resume();
  const returned = header(res, 'docker-content-digest');
  if (returned && returned !== digest) {
    throw new ImageError('digest_mismatch', `failed to push manifest ${reference} to ${repo.registry}/${repo.repository}: registry computed ${returned}, expected ${digest}`);
  }
  return digest;
}
