/** Output helpers: Docker-style tables, sizes and relative times. */

/** Left-aligned columns separated by three spaces, as `docker images` prints them. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Decimal units with 3 significant digits (Docker's units.HumanSize): 1.23MB, 512kB, 12B. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString()}${units[u]}`;
}

/** "3 seconds ago", "About a minute ago", "2 hours ago" (Docker's HumanDuration + " ago"). */
export function timeAgo(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return 'N/A';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'N/A';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return ago(s, 'second');
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute ago';
  if (m < 60) return ago(m, 'minute');
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour ago';
  if (h < 48) return ago(h, 'hour');
  const d = Math.round(s / 86400);
  if (d < 14) return ago(d, 'day');
  if (d < 60) return ago(Math.round(d / 7), 'week');
  if (d < 730) return ago(Math.round(d / 30), 'month');
  return ago(Math.round(d / 365), 'year');
}

/** `sha256:abcdef...` -> `abcdef012345` (12 hex digits). */
export function shortDigest(digest: string): string {
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

/** A name split into repository and tag for listing (`host/repo:tag`, `host/repo@sha256:...`). */
export function splitName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: '<none>' };
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: '<none>' };
}

/** A command line quoted for display, shortened to `max` characters with an ellipsis. */
export function displayCommand(args: readonly string[], max = 20): string {
  const s = args.map((a) => (/[\s"'\\]/.test(a) || a === '' ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
  const q = `"${s}"`;
  return q.length > max ? `${q.slice(0, max - 2)}…"` : q;
}
