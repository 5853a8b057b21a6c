import { ApiError, CliError, errorMessage, type FieldError } from './errors.js';

/** How requests authenticate: a bearer token wins over a session cookie. */
export interface Credentials {
  token?: string;
  session?: string;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** Revision the caller read, sent as If-Match. */
  ifMatch?: number;
  /** Extra headers (login sends none of the stored credentials). */
  headers?: Record<string, string>;
  /** Do not send stored credentials. */
  anonymous?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export type FetchFn = typeof fetch;

/** The console's REST API over HTTP (node's fetch); every non-2xx becomes an ApiError. */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly creds: Credentials = {},
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(`${this.server}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (!opts.anonymous) {
      if (this.creds.token) headers['authorization'] = `Bearer ${this.creds.token}`;
      else if (this.creds.session) headers['cookie'] = `berth_session=${this.creds.session}`;
    }
    if (opts.ifMatch !== undefined) headers['if-match'] = `"${opts.ifMatch}"`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new CliError(`failed to reach console at ${this.server}: ${errorMessage(cause ?? err)}`, 1, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.ok) throw new CliError(`failed to read response of ${method} ${path}: not JSON (HTTP ${res.status})`);
        parsed = undefined;
      }
    }
    if (!res.ok) throw toApiError(res.status, parsed, text, method, path);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>('GET', path, query === undefined ? {} : { query })).body;
  }

  /** Every item of a paginated list, following nextCursor. */
  async listAll<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, limit: 500, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }
}

function toApiError(status: number, body: unknown, text: string, method: string, path: string): ApiError {
  if (typeof body === 'object' && body !== null) {
    const b = body as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof b.message === 'string') {
      const errors: FieldError[] = Array.isArray(b.errors)
        ? b.errors.filter((e): e is FieldError => typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.message === 'string')
        : [];
      return new ApiError(status, typeof b.code === 'string' ? b.code : `http_${status}`, b.message, errors);
    }
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(status, `http_${status}`, `failed to ${method} ${path}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`);
}
