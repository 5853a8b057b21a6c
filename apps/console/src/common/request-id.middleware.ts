import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from './http.js';
import { requestContext } from './request-context.js';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a sane X-Request-Id from the client or makes one; echoes it in the response. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
  requestContext(req).requestId = id;
  res.setHeader('x-request-id', id);
  next();
}
