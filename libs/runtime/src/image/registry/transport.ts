import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';

/**
 * One HTTP exchange with a registry: node:http/https, per-request timeout, custom CA, and
 * redirects (blob storage) followed by hand so Authorization is dropped when the host changes.
 * Retries and auth live in the client, not here.
 */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body; a factory so redirects and retries can resend it. */
  readonly body?: Uint8Array | (() => Readable);
  readonly bodyLength?: number;
  /** Idle timeout of the socket (ms). */
  readonly timeoutMs: number;
  readonly ca?: string | Buffer;
  readonly followRedirects?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The final URL after redirects. */
  readonly url: URL;
  readonly body: http.IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** A transport-level failure (connection refused/reset, timeout); retriable. */
export class TransportError extends BerthError {
  constructor(message: string, cause: unknown) {
    super('transport_error', 'unavailable', message, { cause });
  }
}

function once(req: HttpRequest): Promise<HttpResponse> {
  const mod = req.url.protocol === 'https:' ? https : http;
  const headers: Record<string, string | number> = { ...req.headers };
  if (req.body instanceof Uint8Array) headers['content-length'] = req.body.byteLength;
  else if (req.body && req.bodyLength !== undefined) headers['content-length'] = req.bodyLength;
  else if (!req.body && (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH')) headers['content-length'] = 0;
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = mod.request(
      req.url,
      { method: req.method, headers, ...(req.ca && req.url.protocol === 'https:' ? { ca: req.ca } : {}) },
      (res) => {
        res.setTimeout(req.timeoutMs, () =>
          res.destroy(Object.assign(new Error(`no data for ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        );
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url: req.url, body: res });
      },
    );
    r.setTimeout(req.timeoutMs, () =>
      r.destroy(Object.assign(new Error(`no response within ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    r.on('error', (err) => reject(new TransportError(`failed to ${req.method} ${req.url.href}: ${err.message}`, err)));
    if (req.body instanceof Uint8Array) r.end(req.body);
    else if (req.body) {
      const src = req.body();
      src.on('error', (err) => r.destroy(err));
      src.pipe(r);
    } else r.end();
  });
}

/** Sends the request, following redirects; the caller must consume or destroy `body`. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  let current = req;
  for (let hop = 0; ; hop++) {
    const res = await once(current);
    if (!(current.followRedirects ?? true) || !REDIRECTS.has(res.status) || !res.headers.location) return res;
    res.body.resume();
    if (hop >= MAX_REDIRECTS) {
      throw new TransportError(`failed to ${req.method} ${req.url.href}: more than ${MAX_REDIRECTS} redirects`, undefined);
    }
    const next = new URL(res.headers.location, current.url);
    const headers: Record<string, string> = { ...current.headers };
    if (next.host !== current.url.host) {
      // Pre-signed storage URLs carry their own auth; never leak the registry token there.
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
    }
    const method = res.status === 303 ? 'GET' : current.method;
    current = { ...current, url: next, headers, method, ...(method === 'GET' ? { body: undefined } : {}) };
  }
}

/** Reads a whole (small) response body, bounded. */
export async function readBody(res: HttpResponse, maxBytes = 8 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > maxBytes) {
      res.body.destroy();
      throw new TransportError(`failed to read response from ${res.url.href}: body exceeds ${maxBytes} bytes`, undefined);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
