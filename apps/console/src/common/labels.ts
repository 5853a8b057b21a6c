import { ConsoleError } from './errors.js';

/** One requirement of a Kubernetes-style equality-based label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq'; value: string }
  | { key: string; op: 'neq'; value: string }
  | { key: string; op: 'exists' }
  | { key: string; op: 'notexists' };

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/** Parses `app=web,tier!=db,canary,!legacy`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    let req: LabelRequirement;
    const neq = part.indexOf('!=');
    const eq = part.indexOf('=');
    if (neq > 0) req = { key: part.slice(0, neq).trim(), op: 'neq', value: part.slice(neq + 2).trim() };
    else if (eq > 0) req = { key: part.slice(0, eq).trim(), op: 'eq', value: part.slice(part[eq + 1] === '=' ? eq + 2 : eq + 1).trim() };
    else if (part.startsWith('!')) req = { key: part.slice(1).trim(), op: 'notexists' };
    else req = { key: part, op: 'exists' };
    if (!KEY.test(req.key)) {
      throw new ConsoleError('invalid_label_selector', 'invalid_argument', `failed to parse label selector ${JSON.stringify(selector)}: bad key ${JSON.stringify(req.key)}`, {
        errors: [{ path: 'labelSelector', message: `bad key ${JSON.stringify(req.key)}` }],
      });
    }
    out.push(req);
  }
  return out;
}

export function matchesLabels(labels: Record<string, string>, reqs: readonly LabelRequirement[]): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'eq':
        return has && labels[r.key] === r.value;
      case 'neq':
        return !has || labels[r.key] !== r.value;
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}
