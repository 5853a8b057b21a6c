import { ImageError } from '../errors.js';
import { causeText } from '../../errors.js';
import { noopLogger, type Logger } from '../../logger.js';
import { basicAuth, parseChallenges, TokenCache, type Credentials } from './auth.js';
import { describeErrorBody, isRetriable, retryAfterMs, statusError } from './errors.js';
import { readBody, send, TransportError, header, type HttpRequest, type HttpResponse } from './transport.js';

/**
 * Low-level OCI distribution client core: base URLs (HTTPS, or plain HTTP for loopback and the
 * explicit insecure list, as Docker does), auth (Bearer token flow with scoped, cached tokens;
 * Basic), and retries with exponential backoff on 429/5xx/transport errors honouring Retry-After.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
export interface RegistryClientOptions {
  /** Credentials per registry host (`docker.io`, `host:port`). */
  readonly credentials?: ReadonlyMap<string, Credentials>;
  /** Registries reached over plain HTTP. Loopback registries are too, unless listed in caByRegistry. */
  readonly insecureRegistries?: readonly string[];
  /** Extra trusted CA (PEM) for HTTPS registries; per-registry entries win. */
  readonly ca?: string | Buffer;
  readonly caByRegistry?: ReadonlyMap<string, string | Buffer>;
  /** Idle timeout per request, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  readonly retries?: number;
  /** First backoff, ms (default 200), doubled per attempt up to maxBackoffMs (default 10 000). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly logger?: Logger;
  readonly userAgent?: string;
  readonly tokenCache?: TokenCache;
}

export interface RepoRef {
  readonly registry: string;
  readonly repository: string;
}

export interface RegistryRequest {
  readonly method: HttpRequest['method'];
  /** Path under /v2/ (e.g. `library/busybox/manifests/latest`) or an absolute URL (upload Location). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: HttpRequest['body'];
  readonly bodyLength?: number;
  /** Statuses that count as success; anything else becomes an ImageError. */
  readonly ok: readonly number[];
  /** For error messages: verb and object, e.g. ('fetch', 'manifest latest'). */
  readonly verb: string;
  readonly object: string;
  /** Extra scopes (cross-repo mount source). */
  readonly extraScopes?: readonly string[];
  readonly followRedirects?: boolean;
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly tokens: TokenCache;
  private readonly log: Logger;
  /** Registries whose challenge said Basic, so later requests send it up front. */
  private readonly basicRegistries = new Set<string>();

  constructor(readonly options: RegistryClientOptions = {}) {
    this.tokens = options.tokenCache ?? new TokenCache();
    this.log = options.logger ?? noopLogger;
  }

  baseUrl(registry: string): URL {
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    // A registry given its own CA is meant to be reached over TLS, loopback or not.
    const hasCa = this.options.caByRegistry?.has(registry) ?? false;
    const plain = !hasCa && (isLoopbackRegistry(registry) || (this.options.insecureRegistries ?? []).includes(registry));
    return new URL(`${plain ? 'http' : 'https'}://${host}/v2/`);
  }

  /**
   * GET /v2/ with the configured credentials (what `docker login` checks): 200 when reachable
   * and authorised, 401 when the registry wants credentials this client lacks or rejects.
   */
  async ping(registry: string): Promise<{ status: number; challenge?: string }> {
    const res = await this.exchange(registry, [], registry, { method: 'GET', url: this.baseUrl(registry), timeoutMs: this.timeout() }, 'ping', 'registry');
    await readBody(res).catch(() => undefined);
    const challenge = header(res, 'www-authenticate');
    if (res.status !== 200 && res.status !== 401) {
      throw statusError(res.status, 'ping', 'registry', registry, '');
    }
    return { status: res.status, ...(challenge ? { challenge } : {}) };
  }

  /** Sends an authorised request with retries; the caller consumes the body. */
  async request(repo: RepoRef, actions: readonly string[], req: RegistryRequest): Promise<HttpResponse> {
    const where = `${repo.registry}/${repo.repository}`;
    const scopes = [`repository:${repo.repository}:${actions.join(',')}`, ...(req.extraScopes ?? [])];
    const url = /^https?:\/\//.test(req.path) ? new URL(req.path) : new URL(req.path, this.baseUrl(repo.registry));
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.append(k, v);
    const httpReq: HttpRequest = {
      method: req.method,
      url,
      headers: req.headers ?? {},
      timeoutMs: this.timeout(),
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.bodyLength !== undefined ? { bodyLength: req.bodyLength } : {}),
      ...(req.followRedirects !== undefined ? { followRedirects: req.followRedirects } : {}),
    };
    const res = await this.exchange(repo.registry, scopes, where, httpReq, req.verb, `${req.object} in ${where}`);
    if (req.ok.includes(res.status)) return res;
    const detail = req.method === 'HEAD' ? '' : describeErrorBody(await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0)));
    res.body.destroy();
    throw statusError(res.status, req.verb, req.object, where, detail);
  }

  /** Sends with current auth; on a 401 challenge authenticates once and resends. */
  private async exchange(
    registry: string,
    scopes: readonly string[],
    where: string,
    httpReq: HttpRequest,
    verb: string,
    object: string,
  ): Promise<HttpResponse> {
    for (let authTried = false; ; authTried = true) {
      const auth = this.authHeader(registry, scopes);
      const res = await this.sendWithRetry(
        registry,
        { ...httpReq, headers: { ...(httpReq.headers ?? {}), ...(auth ? { authorization: auth } : {}) } },
        verb,
        object,
      );
      if (res.status !== 401 || authTried) return res;
      const challenge = header(res, 'www-authenticate');
      if (!challenge || !(await this.authenticate(registry, scopes, challenge, where))) return res;
      res.body.resume();
    }
  }

  private timeout(): number {
    return this.options.timeoutMs ?? 30_000;
  }

  private caFor(registry: string): string | Buffer | undefined {
    return this.options.caByRegistry?.get(registry) ?? this.options.ca;
  }

  private authHeader(registry: string, scopes: readonly string[]): string | undefined {
    const token = this.tokens.get(registry, scopes.join(' '));
    if (token) return `Bearer ${token}`;
    const creds = this.options.credentials?.get(registry);
    if (creds && this.basicRegistries.has(registry)) return basicAuth(creds);
    return undefined;
  }

  /** Handles a 401 challenge; returns true when a retry with new auth makes sense. */
  private async authenticate(registry: string, scopes: readonly string[], challengeHeader: string, where: string): Promise<boolean> {
    const challenges = parseChallenges(challengeHeader);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const creds = this.options.credentials?.get(registry);
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw new ImageError('unauthorized', `failed to authenticate to ${where}: Bearer challenge has no realm`);
      const url = new URL(realm);
      if (bearer.params.service) url.searchParams.set('service', bearer.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const res = await this.sendWithRetry(
        registry,
        {
          method: 'GET',
          url,
          headers: creds ? { authorization: basicAuth(creds) } : {},
          timeoutMs: this.timeout(),
        },
        'fetch',
        `token for ${where}`,
      );
      const body = await readBody(res, 1024 * 1024);
      if (res.status !== 200) {
        throw statusError(res.status === 403 ? 401 : res.status, 'fetch', 'token', `${where} (token server ${url.host})`, describeErrorBody(body));
      }
      let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
      try {
        doc = JSON.parse(body.toString('utf8')) as typeof doc;
      } catch (err) {
        throw new ImageError('unauthorized', `failed to fetch token for ${where}: response is not JSON: ${causeText(err)}`);
      }
      const token = typeof doc.token === 'string' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : undefined;
      if (!token) throw new ImageError('unauthorized', `failed to fetch token for ${where}: response has no token`);
      this.tokens.set(
        registry,
        scopes.join(' '),
        token,
        typeof doc.expires_in === 'number' ? doc.expires_in : 60,
        typeof doc.issued_at === 'string' ? doc.issued_at : undefined,
      );
      this.log.debug('registry token obtained', { registry, scopes });
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && creds) {
      // Parallel requests may all see the first 401; each retries once with Basic.
      this.basicRegistries.add(registry);
      return true;
    }
    return false;
  }

  /** One request with retries on 429/5xx and transport errors, honouring Retry-After. */
  async sendWithRetry(registry: string, req: HttpRequest, verb: string, object: string): Promise<HttpResponse> {
    const retries = this.options.retries ?? 4;
    const full: HttpRequest = {
      ...req,
      headers: { 'user-agent': this.options.userAgent ?? 'berth/0.1', ...(req.headers ?? {}) },
      ...(this.caFor(registry) !== undefined ? { ca: this.caFor(registry) } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      let wait = Math.min((this.options.backoffMs ?? 200) * 2 ** attempt, this.options.maxBackoffMs ?? 10_000);
      try {
        const res = await send(full);
        if ((res.status === 429 || res.status >= 500) && attempt < retries) {
          const after = retryAfterMs(header(res, 'retry-after'));
          if (after !== undefined) wait = Math.min(Math.max(after, wait), 60_000);
          res.body.resume();
          this.log.debug('registry retry', { registry, status: res.status, attempt, waitMs: wait });
          await sleep(wait);
          continue;
        }
        return res;
      } catch (err) {
        // TLS and other non-transient failures (bad certificate) are not retried.
        if (!(err instanceof TransportError) || attempt >= retries || (err.cause !== undefined && !isRetriable(err.cause))) {
          if (err instanceof TransportError) {
            throw new ImageError('unavailable', `failed to ${verb} ${object}: ${causeText(err)} (after ${attempt + 1} attempts)`, { cause: err });
          }
          throw err;
        }
        this.log.debug('registry retry', { registry, error: causeText(err), attempt, waitMs: wait });
        await sleep(wait);
      }
    }
  }

  /** Exposed for the pull loop, which retries whole blob ingests (resuming via Range). */
  static isRetriable = isRetriable;
}
