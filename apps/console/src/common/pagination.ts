import { z } from 'zod';
import { ConsoleError } from './errors.js';
import { parseInput } from './validation.js';

export interface Page<T> {
  items: T[];
  /** Opaque; pass as `cursor` to get the next page. Absent on the last page. */
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  /** The decoded key the next page starts after. */
  after?: string;
}

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});

export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || encodeCursor(key) !== cursor) {
    throw new ConsoleError('invalid_cursor', 'invalid_argument', `failed to read cursor ${JSON.stringify(cursor)}: it was not returned by this API`, {
      errors: [{ path: 'cursor', message: 'malformed cursor' }],
    });
  }
  return key;
}

/** For id-ordered lists (audit, events): the cursor must decode to a non-negative integer. */
export function numericAfter(page: PageRequest): number | undefined {
  if (page.after === undefined) return undefined;
  if (!/^\d{1,15}$/.test(page.after)) {
    throw new ConsoleError('invalid_cursor', 'invalid_argument', 'failed to read cursor: it was not returned by this list', { errors: [{ path: 'cursor', message: 'malformed cursor' }] });
  }
  return Number(page.after);
}

export function parsePageQuery(query: Record<string, unknown>): PageRequest {
  const q = parseInput(pageQuery, { limit: query['limit'], cursor: query['cursor'] }, 'pagination');
  return q.cursor === undefined ? { limit: q.limit } : { limit: q.limit, after: decodeCursor(q.cursor) };
}

/** Repositories fetch limit+1 rows; this trims and derives the cursor from the last row kept. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, nextCursor: encodeCursor(keyOf(last)) };
}

/**
 * A page of rows matching `keep`, read in key order in batches from `fetch(after, n)` (which
 * returns up to n rows with key > after). Used where the filter is evaluated in the console
 * (label selectors) rather than in SQL.
 */
export async function filteredPage<T>(
  fetch: (after: string | undefined, n: number) => Promise<T[]>,
  keep: (row: T) => boolean,
  keyOf: (row: T) => string,
  page: PageRequest,
): Promise<Page<T>> {
  const out: T[] = [];
  const batch = Math.max(page.limit * 2, 100);
  let after = page.after;
  for (;;) {
    const rows = await fetch(after, batch);
    for (const r of rows) {
      if (!keep(r)) continue;
      if (out.length === page.limit) {
        const last = out[out.length - 1];
        return last === undefined ? { items: out } : { items: out, nextCursor: encodeCursor(keyOf(last)) };
      }
      out.push(r);
    }
    const lastRow = rows[rows.length - 1];
    if (rows.length < batch || lastRow === undefined) return { items: out };
    after = keyOf(lastRow);
  }
}
