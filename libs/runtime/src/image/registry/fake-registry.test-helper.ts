import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * A small in-process OCI distribution registry for unit tests, with switches for the failure
 * modes the client must survive. Not part of the library API (tests import it directly).
 */
export interface FakeRegistryOptions {
  auth?: 'none' | 'basic' | 'bearer';
  username?: string;
  password?: string;
  tokenExpiresIn?: number;
  /** Serve blobs through a 307 redirect to a second server (a different host:port). */
  redirectBlobs?: boolean;
  supportRange?: boolean;
}

export interface Faults {
  /** Next N requests (any) get 429 with Retry-After: `retryAfter` (default "0"). */
  tooMany: number;
  retryAfter?: string;
  /** Next N requests get 503. */
  unavailable: number;
  /** Next N blob GETs send half the body then destroy the socket. */
  dropMidBlob: number;
  /** Next N blob GETs send half the body without Content-Length and end cleanly. */
  truncate: number;
  /** Next N requests are accepted and never answered. */
  hang: number;
  /** Digests whose GET serves different bytes. */
  corrupt: Set<string>;
  /** Digests served with a longer body than stored. */
  oversize: Set<string>;
}

export interface LoggedRequest {
  method: string;
  url: string;
  authorization?: string;
  range?: string;
  host: string;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  /** `${repo}@${digest}`: blobs are visible per repository, as in a real registry. */
  readonly links = new Set<string>();
  readonly manifests = new Map<string, { data: Buffer; mediaType: string }>();
  readonly faults: Faults = { tooMany: 0, unavailable: 0, dropMidBlob: 0, truncate: 0, hang: 0, corrupt: new Set(), oversize: new Set() };
  readonly log: LoggedRequest[] = [];
  readonly tokensIssued: string[] = [];
  private readonly uploads = new Map<string, Buffer[]>();
  private server!: http.Server;
  private storage!: http.Server;
  port = 0;
  storagePort = 0;

  constructor(readonly opts: FakeRegistryOptions = {}) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.storage = http.createServer((req, res) => this.serveStorage(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => this.storage.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    this.storagePort = (this.storage.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.storage.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    await new Promise((r) => this.storage.close(r));
  }

  addBlob(repo: string, data: Buffer | string): { digest: string; size: number } {
    const b = Buffer.from(data);
    const digest = sha(b);
    this.blobs.set(digest, b);
    this.links.add(`${repo}@${digest}`);
    return { digest, size: b.length };
  }

  addManifest(repo: string, tags: string[], doc: unknown, mediaType: string): string {
    const data = Buffer.from(JSON.stringify(doc));
    const digest = sha(data);
    for (const ref of [...tags, digest]) this.manifests.set(`${repo}:${ref}`, { data, mediaType });
    return digest;
  }

  private authorized(req: http.IncomingMessage, res: http.ServerResponse, repo: string): boolean {
    const mode = this.opts.auth ?? 'none';
    if (mode === 'none') return true;
    const h = req.headers.authorization ?? '';
    if (mode === 'basic') {
      const want = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password}`).toString('base64')}`;
      if (h === want) return true;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return false;
    }
    const token = h.startsWith('Bearer ') ? h.slice(7) : '';
    if (this.tokensIssued.includes(token)) return true;
    const scope = `repository:${repo}:pull`;
    res.writeHead(401, {
      'www-authenticate': `Bearer realm="http://127.0.0.1:${this.port}/token",service="fake",scope="${scope}"`,
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return false;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    this.log.push({
      method: req.method ?? '',
      url: url.pathname + url.search,
      host: req.headers.host ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers.range ? { range: req.headers.range } : {}),
    });
    if (this.faults.hang > 0) {
      this.faults.hang--;
      return;
    }
    if (this.faults.tooMany > 0) {
      this.faults.tooMany--;
      res.writeHead(429, { 'retry-after': this.faults.retryAfter ?? '0' }).end();
      return;
    }
    if (this.faults.unavailable > 0) {
      this.faults.unavailable--;
      res.writeHead(503).end();
      return;
    }
    if (url.pathname === '/token') return this.token(req, url, res);
    if (url.pathname === '/v2/') {
      if (this.authorized(req, res, '')) res.writeHead(200).end('{}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.route(req, url, Buffer.concat(chunks), res));
  }

  private token(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    if (this.opts.username) {
      const want = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
    }
    const token = `tok-${randomBytes(6).toString('hex')}-${url.searchParams.getAll('scope').join(' ')}`;
    this.tokensIssued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: this.opts.tokenExpiresIn ?? 300, issued_at: new Date().toISOString() }));
  }

  private route(req: http.IncomingMessage, url: URL, body: Buffer, res: http.ServerResponse): void {
    const up = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const repo = (up ?? m)?.[1] ?? '';
    if (!this.authorized(req, res, repo)) return;
    if (up) return this.upload(req, url, up[2] ?? '', repo, body, res);
    if (!m) return void res.writeHead(404).end();
    const [, , kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      if (req.method === 'PUT') {
        const mediaType = req.headers['content-type'] ?? '';
        const digest = sha(body);
        for (const r of [ref, digest]) this.manifests.set(`${repo}:${r}`, { data: body, mediaType });
        res.writeHead(201, { 'docker-content-digest': digest, location: `/v2/${repo}/manifests/${digest}` }).end();
        return;
      }
      const found = this.manifests.get(`${repo}:${ref}`);
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': found.mediaType, 'docker-content-digest': sha(found.data), 'content-length': found.data.length });
      res.end(req.method === 'HEAD' ? undefined : found.data);
      return;
    }
    const blob = this.links.has(`${repo}@${ref}`) ? this.blobs.get(ref) : undefined;
    if (!blob) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      return;
    }
    if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': blob.length }).end();
    if (this.opts.redirectBlobs) {
      res.writeHead(307, { location: `http://127.0.0.1:${this.storagePort}/store/${ref}` }).end();
      return;
    }
    this.serveBlob(req, ref, blob, res);
  }

  private serveStorage(req: http.IncomingMessage, res: http.ServerResponse): void {
    const ref = (req.url ?? '').replace('/store/', '');
    this.log.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const blob = this.blobs.get(ref);
    if (!blob) return void res.writeHead(404).end();
    this.serveBlob(req, ref, blob, res);
  }

  private serveBlob(req: http.IncomingMessage, digest: string, stored: Buffer, res: http.ServerResponse): void {
    let blob = stored;
    if (this.faults.corrupt.has(digest)) blob = Buffer.from(stored.map((b) => b ^ 0xff));
    if (this.faults.oversize.has(digest)) blob = Buffer.concat([stored, Buffer.from('EXTRA')]);
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && (this.opts.supportRange ?? true)) start = Number(range[1]);
    const part = blob.subarray(start);
    if (this.faults.truncate > 0 && part.length > 1) {
      this.faults.truncate--;
      res.writeHead(start > 0 ? 206 : 200, {
        'content-type': 'application/octet-stream',
        ...(start > 0 ? { 'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}` } : {}),
      });
      res.end(part.subarray(0, Math.floor(part.length / 2)));
      return;
    }
    const headers: Record<string, string | number> = { 'content-length': part.length, 'content-type': 'application/octet-stream' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${blob.length - 1}/${blob.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    if (this.faults.dropMidBlob > 0 && part.length > 1) {
      this.faults.dropMidBlob--;
      res.write(part.subarray(0, Math.floor(part.length / 2)), () => setTimeout(() => res.socket?.destroy(), 10));
      return;
    }
    res.end(part);
  }

  private upload(req: http.IncomingMessage, url: URL, id: string, repo: string, body: Buffer, res: http.ServerResponse): void {
    if (req.method === 'POST') {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from && this.links.has(`${from}@${mount}`)) {
        this.links.add(`${repo}@${mount}`);
        res.writeHead(201, { location: `/v2/${repo}/blobs/${mount}`, 'docker-content-digest': mount }).end();
        return;
      }
      const uid = randomBytes(8).toString('hex');
      this.uploads.set(uid, []);
      res.writeHead(202, { location: `/v2/${repo}/blobs/uploads/${uid}?_state=x`, range: '0-0' }).end();
      return;
    }
    const parts = this.uploads.get(id);
    if (!parts) return void res.writeHead(404).end();
    if (req.method === 'PATCH') {
      parts.push(body);
      const n = parts.reduce((a, b) => a + b.length, 0);
      res.writeHead(202, { location: `/v2/${repo}/blobs/uploads/${id}?_state=y`, range: `0-${n - 1}` }).end();
      return;
    }
    if (req.method === 'PUT') {
      parts.push(body);
      const data = Buffer.concat(parts);
      const digest = url.searchParams.get('digest') ?? '';
      if (sha(data) !== digest) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'digest did not match' }] }));
        return;
      }
      this.blobs.set(digest, data);
      this.links.add(`${repo}@${digest}`);
      this.uploads.delete(id);
      res.writeHead(201, { location: `/v2/${repo}/blobs/${digest}`, 'docker-content-digest': digest }).end();
      return;
    }
    res.writeHead(405).end();
  }
}
