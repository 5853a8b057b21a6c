import { stringify } from 'yaml';
import { UsageError } from './errors.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseOutputFormat(raw: string | undefined): OutputFormat {
  if (raw === undefined || raw === 'table') return 'table';
  if (raw === 'json' || raw === 'yaml') return raw;
  throw new UsageError(`flag --output wants table, json or yaml, got ${JSON.stringify(raw)}`);
}

/**
 * Columns padded to their widest cell and separated by three spaces (the last column is not
 * padded, so lines carry no trailing blanks). Cells are single-line: newlines become spaces.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (s: string) => s.replace(/[\r\n\t]+/g, ' ');
  const all = [headers.map(clean), ...rows.map((r) => headers.map((_, i) => clean(r[i] ?? '')))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** `data` as JSON or YAML, or the table made by `table()` for the default format. */
export function formatOutput(format: OutputFormat, data: unknown, table: () => string): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data, { lineWidth: 0 });
  return table();
}

/** `k=v,k2=v2`, or `<none>`. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Age of a timestamp in the largest sensible unit: `45s`, `12m`, `3h`, `5d`; `<unknown>` if absent. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return '<unknown>';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/**
 * A describe block: `Key:   value` lines with aligned values; a value that is itself a list
 * of lines is indented beneath its key.
 */
export function renderFields(fields: readonly (readonly [string, string | readonly string[]])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length + 1));
  const out: string[] = [];
  for (const [k, v] of fields) {
    if (typeof v === 'string') {
      out.push(`${`${k}:`.padEnd(width)}  ${v}`.trimEnd());
    } else {
      out.push(`${k}:${v.length === 0 ? `${' '.repeat(width - k.length - 1)}  <none>` : ''}`);
      for (const line of v) out.push(`  ${line}`.trimEnd());
    }
  }
  return `${out.join('\n')}\n`;
}
