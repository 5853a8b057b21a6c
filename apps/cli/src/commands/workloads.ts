import { readFile } from 'node:fs/promises';
import { expectPositionals, int, str } from '../args.js';
import type { ApiClient } from '../client.js';
import { ApiError, CliError, UsageError, errorMessage } from '../errors.js';
import { parseManifests, type WorkloadManifest } from '../manifest.js';
import { formatAge, formatLabels, formatOutput, renderFields, renderTable } from '../output.js';
import type { Assignment, Workload, WorkloadRevision } from '../types.js';
import { apiClient, seg, type Command } from './context.js';
import { rolloutProgress } from './rollout.js';

const path = (name: string) => `/api/v1/workloads/${seg(name)}`;

/** A 409 revision_conflict rephrased with what to do about it; other errors unchanged. */
export function explainConflict(err: unknown, name: string): unknown {
  if (err instanceof ApiError && err.code === 'revision_conflict') {
    return new CliError(`${err.message}: someone changed workload ${JSON.stringify(name)} since you read it; run 'berth workloads describe ${name}' and retry`, 1, { cause: err });
  }
  return err;
}

export type ApplyResult = 'created' | 'configured';

/**
 * Creates the workload, or replaces it with If-Match set to the revision the manifest names
 * (else the one just read), so a concurrent change fails with a conflict instead of being
 * overwritten.
 */
export async function applyManifest(client: ApiClient, m: WorkloadManifest): Promise<{ result: ApplyResult; workload: Workload }> {
  let current: Workload | undefined;
  try {
    current = await client.get<Workload>(path(m.name));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  if (current === undefined) {
    if (m.revision !== undefined) throw new CliError(`failed to update workload ${JSON.stringify(m.name)}: it no longer exists (the manifest expects revision ${m.revision})`);
    const body = { name: m.name, spec: m.spec, ...(m.labels ? { labels: m.labels } : {}), ...(m.replicas !== undefined ? { replicas: m.replicas } : {}) };
    return { result: 'created', workload: (await client.request<Workload>('POST', '/api/v1/workloads', { body })).body };
  }
  const body = { spec: m.spec, ...(m.labels ? { labels: m.labels } : {}), ...(m.replicas !== undefined ? { replicas: m.replicas } : {}) };
  try {
    const w = (await client.request<Workload>('PUT', path(m.name), { body, ifMatch: m.revision ?? current.revision })).body;
    return { result: 'configured', workload: w };
  } catch (err) {
    throw explainConflict(err, m.name);
  }
}

const apply: Command = {
  path: ['workloads', 'apply'],
  usage: '-f FILE.yaml (or -f - for stdin)',
  summary: 'create or update workloads from YAML documents',
  flags: { filename: { type: 'string', short: 'f', multiple: true } },
  async run(ctx, args) {
    expectPositionals(args, [], 'workloads apply');
    const files = Array.isArray(args.flags['filename']) ? args.flags['filename'].map(String) : [];
    if (files.length === 0) throw new UsageError('workloads apply: -f FILE is required');
    const manifests: WorkloadManifest[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = f === '-' ? await ctx.io.readStdin() : await readFile(f, 'utf8');
      } catch (err) {
        throw new CliError(`failed to read ${f}: ${errorMessage(err)}`, 1, { cause: err });
      }
      manifests.push(...parseManifests(text, f === '-' ? '<stdin>' : f));
    }
    const client = await apiClient(ctx);
    const results: Workload[] = [];
    for (const m of manifests) {
      const { result, workload } = await applyManifest(client, m);
      results.push(workload);
      if (ctx.globals.format === 'table') ctx.io.stdout(`workload/${workload.name} ${result} (revision ${workload.revision})\n`);
    }
    if (ctx.globals.format !== 'table') ctx.io.stdout(formatOutput(ctx.globals.format, { items: results }, () => ''));
  },
};

const ls: Command = {
  path: ['workloads', 'ls'],
  usage: '[-l SELECTOR]',
  summary: 'list workloads',
  flags: { selector: { type: 'string', short: 'l' } },
  async run(ctx, args) {
    expectPositionals(args, [], 'workloads ls');
    const client = await apiClient(ctx);
    const items = await client.listAll<Workload>('/api/v1/workloads', { labelSelector: str(args, 'selector') });
    if (ctx.globals.format !== 'table') {
      ctx.io.stdout(formatOutput(ctx.globals.format, { items }, () => ''));
      return;
    }
    if (items.length === 0) {
      ctx.io.stdout('No workloads\n');
      return;
    }
    const assignments = await client.listAll<Assignment>('/api/v1/assignments', { desiredState: 'running' });
    const now = ctx.now();
    ctx.io.stdout(
      renderTable(
        ['NAME', 'READY', 'UP-TO-DATE', 'REVISION', 'IMAGE', 'AGE', 'LABELS'],
        items.map((w) => {
          const p = rolloutProgress(w, assignments.filter((a) => a.workloadName === w.name));
          return [w.name, `${p.ready}/${w.replicas}`, String(p.updated), String(w.currentRevision), String(w.spec.image ?? ''), formatAge(w.createdAt, now), formatLabels(w.labels)];
        }),
      ),
    );
  },
};

const describe: Command = {
  path: ['workloads', 'describe'],
  usage: 'NAME',
  summary: 'show a workload, its revisions and its replicas',
  flags: {},
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'workloads describe');
    const client = await apiClient(ctx);
    const w = await client.get<Workload>(path(name!));
    const revisions = (await client.get<{ items: WorkloadRevision[] }>(`${path(name!)}/revisions`)).items;
    const assignments = await client.listAll<Assignment>('/api/v1/assignments', { workload: name });
    ctx.io.stdout(
      formatOutput(ctx.globals.format, { ...w, revisions, assignments }, () => {
        const p = rolloutProgress(w, assignments);
        const now = ctx.now();
        const head = renderFields([
          ['Name', w.name],
          ['Labels', Object.entries(w.labels).map(([k, v]) => `${k}=${v}`)],
          ['Image', String(w.spec.image ?? '')],
          ['Replicas', `${w.replicas} desired, ${p.updated} up-to-date, ${p.ready} ready, ${p.old} old`],
          ['Workload revision', String(w.currentRevision)],
          ['Revision (If-Match)', String(w.revision)],
          ['Created', `${w.createdAt} (${formatAge(w.createdAt, now)} ago)`],
        ]);
        const revs = `Revisions:\n${renderTable(
          ['REVISION', 'IMAGE', 'CREATED-BY', 'AGE'],
          revisions.map((r) => [`${r.number}${r.number === w.currentRevision ? ' (current)' : ''}`, String(r.spec.image ?? ''), r.createdBy ?? '', formatAge(r.createdAt, now)]),
        )}`;
        const reps =
          assignments.length === 0
            ? 'Replicas: <none placed>\n'
            : `Replicas:\n${renderTable(
                ['REPLICA', 'NODE', 'REVISION', 'DESIRED', 'STATE', 'READY', 'RESTARTS', 'ID'],
                assignments.map((a) => [String(a.replicaIndex), a.nodeName, String(a.workloadRevision), a.desiredState, a.status?.state ?? '<pending>', a.status?.ready ? 'yes' : 'no', String(a.status?.restartCount ?? 0), a.id]),
              )}`;
        return `${head}${revs}${reps}`;
      }),
    );
  },
};

const scale: Command = {
  path: ['workloads', 'scale'],
  usage: 'NAME --replicas N [--revision R]',
  summary: 'set the replica count',
  flags: { replicas: { type: 'int', min: 0 }, revision: { type: 'int', min: 1 } },
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'workloads scale');
    const replicas = int(args, 'replicas');
    if (replicas === undefined) throw new UsageError('workloads scale: --replicas N is required');
    const revision = int(args, 'revision');
    const client = await apiClient(ctx);
    let w: Workload;
    try {
      w = (await client.request<Workload>('POST', `${path(name!)}/scale`, { body: { replicas, ...(revision === undefined ? {} : { revision }) } })).body;
    } catch (err) {
      throw explainConflict(err, name!);
    }
    ctx.io.stdout(formatOutput(ctx.globals.format, w, () => `workload/${w.name} scaled to ${w.replicas} replicas (revision ${w.revision})\n`));
  },
};

const rollback: Command = {
  path: ['workloads', 'rollback'],
  usage: 'NAME [--to-revision N]',
  summary: 'make an earlier revision current again (default: the one before the current)',
  flags: { 'to-revision': { type: 'int', min: 1 } },
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'workloads rollback');
    const client = await apiClient(ctx);
    const w = await client.get<Workload>(path(name!));
    let to = int(args, 'to-revision');
    if (to === undefined) {
      const revisions = (await client.get<{ items: WorkloadRevision[] }>(`${path(name!)}/revisions`)).items;
      to = revisions.map((r) => r.number).filter((n) => n < w.currentRevision).sort((a, b) => b - a)[0];
      if (to === undefined) throw new CliError(`failed to roll back workload ${JSON.stringify(name)}: revision ${w.currentRevision} is its first; there is nothing earlier`);
    }
    let out: Workload;
    try {
      out = (await client.request<Workload>('POST', `${path(name!)}/rollback`, { body: { toRevision: to }, ifMatch: w.revision })).body;
    } catch (err) {
      throw explainConflict(err, name!);
    }
    ctx.io.stdout(formatOutput(ctx.globals.format, out, () => `workload/${out.name} rolled back to revision ${to} (now workload revision ${out.currentRevision})\n`));
  },
};

const del: Command = {
  path: ['workloads', 'delete'],
  usage: 'NAME',
  summary: 'delete a workload and its replicas',
  flags: {},
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'workloads delete');
    const client = await apiClient(ctx);
    await client.request('DELETE', path(name!));
    ctx.io.stdout(formatOutput(ctx.globals.format, { name, deleted: true }, () => `workload/${name} deleted\n`));
  },
};

export const workloadCommands: Command[] = [apply, ls, describe, scale, rollback, del];
