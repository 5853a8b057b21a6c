// The slice of express's request/response this app uses. @types/express is not installed
// (add it as a devDependency and these can become `import type { Request } from 'express'`).
import type { IncomingHttpHeaders } from 'node:http';

export interface CookieOptions {
  httpOnly?: boolean;
  sameSite?: 'strict' | 'lax' | 'none';
  secure?: boolean;
  path?: string;
  expires?: Date;
}

export interface Request {
  method: string;
  path: string;
  originalUrl: string;
  baseUrl: string;
  secure: boolean;
  headers: IncomingHttpHeaders;
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
  route?: { path?: unknown };
}

export interface Response {
  statusCode: number;
  headersSent: boolean;
  status(code: number): Response;
  json(body: unknown): Response;
  send(body: string | Buffer): Response;
  setHeader(name: string, value: string | number | readonly string[]): Response;
  cookie(name: string, value: string, options: CookieOptions): Response;
  clearCookie(name: string, options: CookieOptions): Response;
  on(event: 'finish' | 'close', listener: () => void): Response;
}

export type NextFunction = (err?: unknown) => void;
