import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { blobSize } from './blobs.js';
import type { RegistryClient, RepoRef } from './client.js';
import { header } from './transport.js';

/**
 * Blob upload (distribution spec "Pushing blobs"): existence check, cross-repository mount,
 * monolithic POST+PUT, or chunked POST, PATCH..., PUT.
 */
export interface UploadSource {
  readonly digest: string;
  readonly size: number;
  /** Opens bytes [start, end) of the blob; called again on retries. */
  open(start: number, end: number): Readable;
}

export interface UploadOptions {
  /** Upload in PATCH chunks of this many bytes; monolithic when unset or size <= chunkSize. */
  readonly chunkSize?: number;
  /** Repository in the same registry that already holds the blob (mount instead of upload). */
  readonly mountFrom?: string;
}

export type UploadOutcome = 'exists' | 'mounted' | 'uploaded';

function location(client: RegistryClient, repo: RepoRef, value: string | undefined, what: string): string {
  if (!value) throw new ImageError('registry_error', `failed to upload ${what} to ${repo.registry}/${repo.repository}: response has no Location`);
  return new URL(value, client.baseUrl(repo.registry)).href;
}

export async function uploadBlob(
  client: RegistryClient,
  repo: RepoRef,
  src: UploadSource,
  opts: UploadOptions = {},
): Promise<UploadOutcome> {
  const what = `blob ${src.digest}`;
  if ((await blobSize(client, repo, src.digest)) !== undefined) return 'exists';
  const mount = opts.mountFrom && opts.mountFrom !== repo.repository ? opts.mountFrom : undefined;
  const start = await client.request(repo, ['pull', 'push'], {
    method: 'POST',
    path: `${repo.repository}/blobs/uploads/`,
    ...(mount ? { query: { mount: src.digest, from: mount }, extraScopes: [`repository:${mount}:pull`] } : {}),
    ok: [201, 202],
    verb: 'start upload of',
    object: what,
  });
  start.body.resume();
  if (start.status === 201) return 'mounted';
  let loc = location(client, repo, header(start, 'location'), what);

  const chunk = opts.chunkSize;
  if (chunk !== undefined && chunk > 0 && src.size > chunk) {
    for (let off = 0; off < src.size; off += chunk) {
      const end = Math.min(off + chunk, src.size);
      const res = await client.request(repo, ['pull', 'push'], {
        method: 'PATCH',
        path: loc,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${off}-${end - 1}` },
        body: () => src.open(off, end),
        bodyLength: end - off,
        ok: [202],
        verb: 'upload chunk of',
        object: `${what} (bytes ${off}-${end - 1})`,
      });
      res.body.resume();
      loc = location(client, repo, header(res, 'location'), what);
    }
    const done = await client.request(repo, ['pull', 'push'], {
      method: 'PUT',
      path: loc,
      query: { digest: src.digest },
      ok: [201, 204],
      verb: 'complete upload of',
      object: what,
    });
    done.body.resume();
    return 'uploaded';
  }
  const res = await client.request(repo, ['pull', 'push'], {
    method: 'PUT',
    path: loc,
    query: { digest: src.digest },
    headers: { 'content-type': 'application/octet-stream' },
    body: () => src.open(0, src.size),
    bodyLength: src.size,
    ok: [201, 204],
    verb: 'upload',
    object: what,
  });
  res.body.resume();
  return 'uploaded';
}
