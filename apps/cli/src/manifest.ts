import { LineCounter, parseAllDocuments } from 'yaml';
import { CliError } from './errors.js';

/** One workload document from a file given to `berth workloads apply -f`. */
export interface WorkloadManifest {
  name: string;
  labels?: Record<string, string>;
  replicas?: number;
  spec: Record<string, unknown>;
  /** The revision the author read; sent as If-Match so a stale file fails with a conflict. */
  revision?: number;
  /** Where the document starts (1-based), for messages. */
  line: number;
}

const KNOWN = new Set(['kind', 'name', 'labels', 'replicas', 'spec', 'revision']);

/**
 * Parses one or more YAML documents (separated by `---`) into workload manifests. Syntax
 * errors name `source:line:column`; a document of the wrong shape names the document and
 * the field. Field values beyond the shape (image, resources, ...) are validated by the
 * console, which names each bad field. Empty documents are skipped.
 */
export function parseManifests(text: string, source: string): WorkloadManifest[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new CliError(`failed to parse ${source}: not a YAML stream`);
  const out: WorkloadManifest[] = [];
  const seen = new Map<string, number>();
  docs.forEach((doc, idx) => {
    const err = doc.errors[0];
    if (err) {
      const pos = lc.linePos(err.pos[0]);
      const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new CliError(`failed to parse ${source}:${pos.line}:${pos.col}: ${msg}`);
    }
    const start = lc.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    const where = `${source}: document ${idx + 1} (line ${start})`;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const m = toManifest(value, where, start);
    const prev = seen.get(m.name);
    if (prev !== undefined) throw new CliError(`failed to parse ${where}: workload ${JSON.stringify(m.name)} is already defined at line ${prev}`);
    seen.set(m.name, start);
    out.push(m);
  });
  if (out.length === 0) throw new CliError(`failed to parse ${source}: it contains no workload documents`);
  return out;
}

function toManifest(value: unknown, where: string, line: number): WorkloadManifest {
  const bad = (field: string, msg: string): never => {
    throw new CliError(`failed to parse ${where}: ${field}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('(document)', 'must be a mapping with name and spec');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) bad(k, `unknown field (want ${[...KNOWN].join(', ')})`);
  if (o['kind'] !== undefined && o['kind'] !== 'Workload') bad('kind', `must be Workload, got ${JSON.stringify(o['kind'])}`);
  if (typeof o['name'] !== 'string' || o['name'] === '') bad('name', 'is required and must be a string');
  const spec = o['spec'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return bad('spec', 'is required and must be a mapping');
  const m: WorkloadManifest = { name: o['name'] as string, spec: spec as Record<string, unknown>, line };
  const labels = o['labels'];
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) bad('labels', 'must be a mapping of strings');
    for (const [k, v] of Object.entries(labels as object)) if (typeof v !== 'string') bad(`labels.${k}`, 'must be a string (quote numbers and booleans)');
    m.labels = labels as Record<string, string>;
  }
  if (o['replicas'] !== undefined) {
    if (typeof o['replicas'] !== 'number' || !Number.isInteger(o['replicas']) || o['replicas'] < 0) bad('replicas', 'must be a non-negative integer');
    m.replicas = o['replicas'] as number;
  }
  if (o['revision'] !== undefined) {
    if (typeof o['revision'] !== 'number' || !Number.isInteger(o['revision']) || o['revision'] < 1) bad('revision', 'must be a positive integer');
    m.revision = o['revision'] as number;
  }
  return m;
}
