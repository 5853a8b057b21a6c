import { ImageError, type ImageErrorCode } from '../errors.js';

/** Registry error bodies per the distribution spec: {"errors":[{"code","message","detail"}]}. */
export function describeErrorBody(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      return doc.errors.map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x).join(': ')).join('; ');
    }
  } catch {
    // not JSON: fall through to text
  }
  const text = body.toString('utf8').trim().slice(0, 200);
  return text;
}

/** Maps a final HTTP status to an ImageError naming the registry, repository and object. */
export function statusError(status: number, verb: string, object: string, where: string, detail: string): ImageError {
  let code: ImageErrorCode = 'registry_error';
  let reason = `HTTP ${status}`;
  if (status === 401) [code, reason] = ['unauthorized', 'unauthorized (HTTP 401)'];
  else if (status === 403) [code, reason] = ['denied', 'access denied (HTTP 403)'];
  else if (status === 404) [code, reason] = ['not_found', 'not found (HTTP 404)'];
  else if (status === 429) [code, reason] = ['unavailable', 'too many requests (HTTP 429), retries exhausted'];
  else if (status >= 500) [code, reason] = ['unavailable', `registry error (HTTP ${status}), retries exhausted`];
  const suffix = detail ? `: ${detail}` : '';
  return new ImageError(code, `failed to ${verb} ${object} in ${where}: ${reason}${suffix}`);
}

const RETRIABLE_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Transport failures worth retrying (the store keeps partial blobs, so retries resume). */
export function isRetriable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'transport_error') return true;
    if (typeof code === 'string' && RETRIABLE_ERRNO.has(code)) return true;
    if (e instanceof Error && e.message === 'aborted') return true;
    if (e instanceof ImageError && e.code === 'size_mismatch' && /truncated/.test(e.message)) return true;
  }
  return false;
}

/** Retry-After in ms (seconds or HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}
