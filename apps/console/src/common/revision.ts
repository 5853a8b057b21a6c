import { ConsoleError, revisionRequired } from './errors.js';

/**
 * The revision a client read, from If-Match (`"42"`, `W/"42"` or `42`) or the body's
 * `revision`. One of them is required for PUT/PATCH; if both are given they must agree.
 */
export function expectedRevision(ifMatch: string | undefined, bodyRevision: number | undefined, kind: string, key: string): number {
  let header: number | undefined;
  if (ifMatch !== undefined && ifMatch !== '') {
    const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(ifMatch.trim());
    if (!m) {
      throw new ConsoleError('invalid_if_match', 'invalid_argument', `failed to parse If-Match ${JSON.stringify(ifMatch)}: want a revision number such as "42"`, {
        errors: [{ path: 'If-Match', message: 'must be a revision number' }],
      });
    }
    header = Number(m[1]);
  }
  if (header !== undefined && bodyRevision !== undefined && header !== bodyRevision) {
    throw new ConsoleError('revision_mismatch', 'invalid_argument', `failed to update ${kind} ${JSON.stringify(key)}: If-Match ${header} and body revision ${bodyRevision} disagree`, {
      errors: [{ path: 'revision', message: `disagrees with If-Match ${header}` }],
    });
  }
  const r = header ?? bodyRevision;
  if (r === undefined) throw revisionRequired(kind, key);
  return r;
}

/** ETag for a revision, so clients can echo it back in If-Match. */
export function etag(revision: number): string {
  return `"${revision}"`;
}
