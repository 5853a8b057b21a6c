/** Small helpers shared by the validate*.ts files: an issue collector and typed field checks. */

/** One problem in a spec: a JSON path such as `linux.namespaces[2].type` and what is wrong. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class Issues {
  readonly list: ValidationIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON path of a child: `a.b`, `a[3]`, or `a["x.y"]` for keys that are not identifiers. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function isAbs(p: unknown): p is string {
  return typeof p === 'string' && p.startsWith('/');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Reads obj[key] as an object; records an issue and returns undefined when it is something else. */
export function objField(issues: Issues, obj: Obj, key: string, path: string): Obj | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    issues.add(at(path, key), `must be an object, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

/** Reads obj[key] as an array; records an issue and returns undefined when it is something else. */
export function arrField(issues: Issues, obj: Obj, key: string, path: string): unknown[] | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    issues.add(at(path, key), `must be an array, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

/** Reads obj[key] as a string; records an issue when it is something else. */
export function strField(issues: Issues, obj: Obj, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    issues.add(at(path, key), `must be a string, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

export function boolField(issues: Issues, obj: Obj, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') {
    issues.add(at(path, key), `must be a boolean, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

export interface IntRule {
  min?: number;
  max?: number;
  /** Values accepted besides the range (e.g. -1 for "unlimited"). */
  also?: number[];
  required?: boolean;
}

/** Checks obj[key] is an integer within the rule; returns it when valid. */
export function intField(issues: Issues, obj: Obj, key: string, path: string, rule: IntRule = {}): number | undefined {
  const v = obj[key];
  const p = at(path, key);
  if (v === undefined) {
    if (rule.required) issues.add(p, 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    issues.add(p, `must be an integer, got ${describe(v)}`);
    return undefined;
  }
  if (rule.also?.includes(v)) return v;
  const lowOk = rule.min === undefined || v >= rule.min;
  const highOk = rule.max === undefined || v <= rule.max;
  if (!lowOk || !highOk) {
    const also = rule.also?.length ? ` or ${rule.also.join(', ')}` : '';
    const range =
      rule.max === undefined ? `>= ${rule.min}` : rule.min === undefined ? `<= ${rule.max}` : `in ${rule.min}..${rule.max}`;
    issues.add(p, `must be ${range}${also}, got ${v}`);
    return undefined;
  }
  return v;
}

/** Every element of an array field must be a string; returns the strings. */
export function strings(issues: Issues, arr: unknown[], path: string): string[] {
  const out: string[] = [];
  arr.forEach((v, i) => {
    if (typeof v === 'string') out.push(v);
    else issues.add(at(path, i), `must be a string, got ${describe(v)}`);
  });
  return out;
}

/** cpuset list syntax, as in cpuset.cpus: "0-3,5,7-8"; empty means unset. */
export function cpuListProblem(s: string): string | undefined {
  if (s === '') return undefined;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return `invalid list syntax "${s}" (expected e.g. "0-3,5")`;
    if (m[2] !== undefined && Number(m[2]) < Number(m[1])) return `invalid range "${part}" in "${s}" (end before start)`;
  }
  return undefined;
}
