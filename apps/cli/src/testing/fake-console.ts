import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { run } from '../cli.js';
import type { Io } from '../commands/context.js';
import type { ApiToken } from '../commands/tokens.js';
import type { Assignment, FleetEvent, Node, Workload } from '../types.js';

/** A request the fake saw, for assertions on method, path, headers and body. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * An in-memory stand-in for the console's REST API, reached through an injected fetch: enough
 * of auth, tokens, workloads (with If-Match revisions), assignments and events for command
 * tests. The real console is exercised by test/cli/cli.spec.ts.
 */
export class FakeConsole {
  readonly seen: SeenRequest[] = [];
  readonly workloads = new Map<string, Workload>();
  assignments: Assignment[] = [];
  events: FleetEvent[] = [];
  readonly nodes = new Map<string, Node>();
  revoked: string[] = [];
  storeRevision = 10;
  adminPassword = 'pw-123456';
  /** Role the logged-in user gets; tokens carry at most this role. */
  role = 'admin';
  /** Behave like consoles before self-service tokens: only admins may create them. */
  tokensForAdminsOnly = false;
  /** Tokens created through the fake; the first is `tid-1` with secret `tok-1` (the one accepted). */
  readonly tokens: ApiToken[] = [];
  /** The API token the fake accepts (login hands out tok-1); change it to revoke. */
  validToken = 'tok-1';
  /** Upgrade URLs of /api/v1/events/watch, in order (after listen()). */
  readonly watchUrls: string[] = [];
  private http: Server | undefined;
  private readonly watchers = new Map<WebSocket, { after: number; query: URLSearchParams }>();

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const req: SeenRequest = { method: init.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body };
    this.seen.push(req);
    const r = this.route(req);
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json', ...(r.headers ?? {}) } });
  };

  /**
   * Serves this fake on 127.0.0.1 as well: REST through route(), and the events watch over a
   * real WebSocket (backlog after `after`, then events added with recordEvent). Returns the URL.
   */
  async listen(): Promise<string> {
    const wss = new WebSocketServer({ noServer: true });
    const http = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (c: string) => (text += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const r = this.route({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) }).end(r.body === undefined ? undefined : JSON.stringify(r.body));
      });
    });
    http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      this.watchUrls.push(`${url.pathname}${url.search}`);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const refusal = url.pathname !== '/api/v1/events/watch'
        ? this.error(404, 'route_not_found', `Cannot GET ${url.pathname}`)
        : !this.authed({ method: 'GET', path: url.pathname, query: url.searchParams, headers, body: undefined })
          ? this.error(401, 'invalid_token', 'failed to authenticate request: the token is not valid')
          : undefined;
      if (refusal) {
        const text = JSON.stringify(refusal.body);
        socket.end(`HTTP/1.1 ${refusal.status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const w = { after: Number(url.searchParams.get('after') ?? 0), query: url.searchParams };
        this.watchers.set(ws, w);
        ws.once('close', () => this.watchers.delete(ws));
        for (const e of [...this.events].sort((a, b) => a.id - b.id)) this.sendRecord(ws, w, e);
      });
    });
    this.http = http;
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  /** Adds an event and sends it to every open watch it matches. */
  recordEvent(e: FleetEvent): void {
    this.events.push(e);
    for (const [ws, w] of this.watchers) this.sendRecord(ws, w, e);
  }

  /** Open watch sockets. */
  get watching(): number {
    return this.watchers.size;
  }

  /** Cuts every watch socket (no close frame), as a network drop would. */
  dropWatchers(): void {
    for (const ws of this.watchers.keys()) ws.terminate();
  }

  /** Ends every watch with an error frame and close code 4000 + status. */
  failWatchers(code: string, message: string, status: number): void {
    for (const ws of this.watchers.keys()) {
      ws.send(JSON.stringify({ type: 'error', code, message }));
      ws.close(4000 + status, code);
    }
  }

  async close(): Promise<void> {
    this.dropWatchers();
    const http = this.http;
    if (!http) return;
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }

  private sendRecord(ws: WebSocket, w: { after: number; query: URLSearchParams }, e: FleetEvent): void {
    const q = w.query;
    if (e.id <= w.after || (q.has('kind') && q.get('kind') !== e.objectKind) || (q.has('object') && q.get('object') !== e.objectId) || (q.has('type') && q.get('type') !== e.type)) return;
    ws.send(JSON.stringify({ type: 'record', event: e }));
  }

  private error(status: number, code: string, message: string, errors?: { path: string; message: string }[]): Reply {
    return { status, body: { code, message, requestId: 'r1', ...(errors ? { errors } : {}) } };
  }

  private createToken(req: SeenRequest): Reply {
    if (this.tokensForAdminsOnly && this.role !== 'admin') return this.error(403, 'permission_denied', `failed to authorize POST /api/v1/tokens: role ${this.role} may not, it needs admin`);
    const b = req.body as { name: string; role?: string; expiresInSeconds?: number; username?: string };
    const role = b.role ?? this.role;
    if (ROLES.indexOf(role) > ROLES.indexOf(this.role)) return this.error(403, 'token_role_too_high', `failed to create token with role ${role}: the caller's role is ${this.role}`);
    const n = this.tokens.length + 1;
    const t: ApiToken = {
      id: `tid-${n}`, name: b.name, username: b.username ?? 'admin', role, revokedAt: null, lastUsedAt: null, createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: b.expiresInSeconds === undefined ? null : new Date(Date.parse('2026-01-01T00:00:00.000Z') + b.expiresInSeconds * 1000).toISOString(),
    };
    this.tokens.push(t);
    return { status: 201, body: { ...t, token: `tok-${n}` } };
  }

  private authed(req: SeenRequest): boolean {
    return req.headers['authorization'] === `Bearer ${this.validToken}` || req.headers['cookie'] === 'berth_session=sess-1';
  }

  private route(req: SeenRequest): Reply {
    const { method, path } = req;
    if (method === 'POST' && path === '/api/v1/auth/login') {
      const b = req.body as { username: string; password: string };
      if (b.password !== this.adminPassword) return this.error(401, 'invalid_credentials', 'failed to log in: wrong username or password');
      return { status: 200, body: { user: { username: b.username, role: this.role }, expiresAt: '2030-01-01T00:00:00.000Z' }, headers: { 'set-cookie': 'berth_session=sess-1; Path=/; HttpOnly' } };
    }
    if (!this.authed(req)) return this.error(401, 'unauthenticated', 'failed to authenticate request: no credentials');
    if (method === 'POST' && path === '/api/v1/auth/logout') return { status: 204 };
    if (method === 'GET' && path === '/api/v1/auth/me') return { status: 200, body: { username: 'admin', role: this.role, via: 'token' } };
    if (method === 'POST' && path === '/api/v1/tokens') return this.createToken(req);
    if (method === 'GET' && path === '/api/v1/tokens') {
      const user = req.query.get('user');
      return { status: 200, body: { items: this.tokens.filter((t) => user === null || t.username === user) } };
    }
    const tok = /^\/api\/v1\/tokens\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && tok) {
      const t = this.tokens.find((x) => x.id === tok[1]);
      if (!t) return this.error(404, 'token_not_found', `failed to find token "${tok[1]}": it does not exist`);
      this.revoked.push(t.id);
      t.revokedAt ??= '2026-01-01T00:00:30.000Z';
      return { status: 200, body: t };
    }
    if (path === '/api/v1/assignments') {
      const w = req.query.get('workload');
      return { status: 200, body: { items: this.assignments.filter((a) => w === null || a.workloadName === w) } };
    }
    if (path === '/api/v1/events') {
      const q = req.query;
      const items = [...this.events]
        .filter((e) => (!q.has('kind') || q.get('kind') === e.objectKind) && (!q.has('object') || q.get('object') === e.objectId) && (!q.has('type') || q.get('type') === e.type))
        .sort((a, b) => b.id - a.id);
      const limit = Number(req.query.get('limit') ?? 100);
      const after = req.query.get('cursor');
      const from = after === null ? items : items.filter((e) => e.id < Number(after));
      const page = from.slice(0, limit);
      return { status: 200, body: { items: page, ...(from.length > limit ? { nextCursor: String(page[page.length - 1]!.id) } : {}) } };
    }
    if (method === 'GET' && path === '/api/v1/nodes') return { status: 200, body: { items: [...this.nodes.values()] } };
    const n = /^\/api\/v1\/nodes\/([^/]+)(\/drain|\/revoke)?$/.exec(path);
    if (n) {
      const node = this.nodes.get(decodeURIComponent(n[1]!));
      if (!node) return this.error(404, 'node_not_found', `failed to find node "${n[1]}": it does not exist`);
      if (method === 'GET') return { status: 200, body: node, headers: { etag: `"${node.revision}"` } };
      if (method === 'POST' && n[2] === '/revoke') {
        if (this.role !== 'admin') return this.error(403, 'permission_denied', `failed to authorize POST ${path}: role ${this.role} may not, it needs admin`);
        if (node.revokedAt) return this.error(409, 'node_already_revoked', `failed to revoke node "${node.name}": node ${node.name} is already revoked`);
        Object.assign(node, { revokedAt: '2026-01-01T00:00:55.000Z', status: 'NotReady' });
      }
      if (method === 'POST' && n[2] === '/drain') Object.assign(node, { draining: true, unschedulable: true });
      if (method === 'PATCH') {
        if (req.headers['if-match'] !== `"${node.revision}"`) return this.error(409, 'revision_conflict', `failed to update node "${node.name}": revision is stale`);
        node.labels = (req.body as { labels: Record<string, string> }).labels;
      }
      node.revision = ++this.storeRevision;
      return { status: 200, body: node };
    }
    if (method === 'GET' && path === '/api/v1/workloads') return { status: 200, body: { items: [...this.workloads.values()] } };
    if (method === 'POST' && path === '/api/v1/workloads') {
      const b = req.body as { name: string; replicas?: number; labels?: Record<string, string>; spec: Workload['spec'] };
      if (typeof b.spec.image !== 'string') return this.error(400, 'validation_failed', 'failed to validate workload: spec.image: is required', [{ path: 'spec.image', message: 'is required' }, { path: 'spec.foo', message: 'unknown field' }]);
      const w: Workload = { id: `id-${b.name}`, name: b.name, labels: b.labels ?? {}, replicas: b.replicas ?? 1, spec: b.spec, currentRevision: 1, revision: ++this.storeRevision, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
      this.workloads.set(w.name, w);
      return { status: 201, body: w };
    }
    const m = /^\/api\/v1\/workloads\/([^/]+)(\/scale|\/revisions)?$/.exec(path);
    const w = m ? this.workloads.get(decodeURIComponent(m[1]!)) : undefined;
    if (m && !w) return this.error(404, 'workload_not_found', `failed to find workload "${m[1]}": it does not exist`);
    if (m && w) {
      if (method === 'GET' && m[2] === undefined) return { status: 200, body: w, headers: { etag: `"${w.revision}"` } };
      if (method === 'GET' && m[2] === '/revisions') return { status: 200, body: { items: [{ number: w.currentRevision, spec: w.spec, createdBy: 'admin', revision: w.revision, createdAt: w.createdAt }] } };
      if (method === 'DELETE') {
        this.workloads.delete(w.name);
        return { status: 204 };
      }
      const b = req.body as { revision?: number; replicas?: number; labels?: Record<string, string>; spec?: Workload['spec'] };
      const ifMatch = req.headers['if-match'];
      const expected = ifMatch !== undefined ? Number(ifMatch.replace(/"/g, '')) : b.revision;
      if (method === 'PUT' && expected === undefined) return this.error(400, 'revision_required', 'failed to update workload: send the revision');
      if (expected !== undefined && expected !== w.revision) {
        return this.error(409, 'revision_conflict', `failed to update workload "${w.name}": revision ${expected} is stale (current revision is ${w.revision})`);
      }
      if (method === 'PUT') Object.assign(w, { spec: b.spec, currentRevision: w.currentRevision + 1 }, b.labels ? { labels: b.labels } : {}, b.replicas !== undefined ? { replicas: b.replicas } : {});
      if (method === 'POST' && m[2] === '/scale') w.replicas = b.replicas!;
      w.revision = ++this.storeRevision;
      return { status: 200, body: w };
    }
    return this.error(404, 'route_not_found', `Cannot ${method} ${path}`);
  }
}

const ROLES = ['viewer', 'operator', 'admin'];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process against `fake` with HOME at `home`; `clock` drives now/sleep. */
export async function runCli(
  fake: FakeConsole,
  home: string,
  argv: string[],
  opts: { stdin?: string; env?: Record<string, string>; clock?: { t: number }; onSleep?: (ms: number) => void } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const clock = opts.clock ?? { t: Date.parse('2026-01-01T00:01:00Z') };
  const io: Io = {
    stdout: (t) => void (stdout += String(typeof t === 'string' ? t : Buffer.from(t).toString())),
    stderr: (t) => void (stderr += String(typeof t === 'string' ? t : Buffer.from(t).toString())),
    readStdin: async () => opts.stdin ?? '',
    isTTY: false,
  };
  const code = await run(argv, {
    io,
    env: opts.env ?? {},
    homedir: home,
    fetch: fake.fetch as typeof fetch,
    now: () => clock.t,
    sleep: async (ms) => {
      opts.onSleep?.(ms);
      clock.t += ms;
    },
  });
  return { code, stdout, stderr };
}
