import type { Readable } from 'node:stream';
import { assertDigest, digestOf, parseDigest } from '../digest.js';
import { ImageError } from '../errors.js';
import type { RegistryClient, RepoRef } from './client.js';
import { header, readBody, TransportError } from './transport.js';

/** Blob endpoints: HEAD/GET /v2/<name>/blobs/<digest> (redirects to storage are followed). */

/** Size of a blob in the repository, or undefined when absent. */
export async function blobSize(client: RegistryClient, repo: RepoRef, digest: string): Promise<number | undefined> {
  const res = await client.request(repo, ['pull'], {
    method: 'HEAD',
    path: `${repo.repository}/blobs/${digest}`,
    ok: [200, 404],
    verb: 'check',
    object: `blob ${digest}`,
  });
  res.body.resume();
  if (res.status === 404) return undefined;
  return Number(header(res, 'content-length') ?? 0);
}

/** Wraps a response stream so mid-body failures surface as retriable TransportErrors. */
async function* guarded(body: Readable, what: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw new TransportError(`failed to download ${what}: ${(err as Error).message ?? String(err)}`, err);
  } finally {
    body.destroy();
  }
}

/**
 * Opens a blob at `offset` with a Range request. Returns the offset the body really starts at:
 * `offset` on 206, 0 when the server (or storage) ignores Range and sends 200.
 */
export async function openBlob(
  client: RegistryClient,
  repo: RepoRef,
  digest: string,
  offset = 0,
): Promise<{ offset: number; size?: number; stream: AsyncIterable<Uint8Array> }> {
  const res = await client.request(repo, ['pull'], {
    method: 'GET',
    path: `${repo.repository}/blobs/${digest}`,
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    ok: [200, 206, 416],
    verb: 'fetch',
    object: `blob ${digest}`,
  });
  const what = `blob ${digest} from ${repo.registry}/${repo.repository}`;
  if (res.status === 416) {
    // Our partial is not a prefix the server recognises: start over.
    res.body.resume();
    return openBlob(client, repo, digest, 0);
  }
  let start = 0;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
    if (!m || Number(m[1]) !== offset) {
      res.body.destroy();
      throw new ImageError('registry_error', `failed to resume ${what}: bad Content-Range "${header(res, 'content-range') ?? ''}" for offset ${offset}`);
    }
    start = offset;
  }
  const length = Number(header(res, 'content-length') ?? Number.NaN);
  return {
    offset: start,
    ...(Number.isFinite(length) ? { size: start + length } : {}),
    stream: guarded(res.body, what),
  };
}

/** Fetches a small blob (config, signature payload) whole and verifies it. */
export async function fetchBlob(client: RegistryClient, repo: RepoRef, digest: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const res = await client.request(repo, ['pull'], {
    method: 'GET',
    path: `${repo.repository}/blobs/${digest}`,
    ok: [200],
    verb: 'fetch',
    object: `blob ${digest}`,
  });
  const data = await readBody(res, maxBytes);
  assertDigest(`blob ${digest} from ${repo.registry}/${repo.repository}`, digest, digestOf(data, parseDigest(digest).algorithm));
  return data;
}
