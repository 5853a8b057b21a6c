import { expectPositionals, str } from '../args.js';
import { UsageError } from '../errors.js';
import { formatAge, formatLabels, formatOutput, renderFields, renderTable } from '../output.js';
import type { Assignment, Node } from '../types.js';
import { apiClient, seg, type Command } from './context.js';

function nodeStatus(n: Node): string {
  const extra = [n.revokedAt ? 'Revoked' : '', n.draining ? 'Draining' : n.unschedulable ? 'SchedulingDisabled' : ''].filter(Boolean);
  return [n.status, ...extra].join(',');
}

function nodesTable(nodes: readonly Node[], now: number): string {
  return renderTable(
    ['NAME', 'STATUS', 'AGE', 'HEARTBEAT', 'VERSION', 'LABELS'],
    nodes.map((n) => [n.name, nodeStatus(n), formatAge(n.createdAt, now), n.lastHeartbeatAt ? `${formatAge(n.lastHeartbeatAt, now)} ago` : '<never>', n.agentVersion ?? '<unknown>', formatLabels(n.labels)]),
  );
}

function resources(r: Record<string, number> | null): string {
  if (r === null) return '<unknown>';
  const e = Object.entries(r);
  return e.length === 0 ? '<none>' : e.map(([k, v]) => `${k}=${v}`).join(', ');
}

const ls: Command = {
  path: ['nodes', 'ls'],
  usage: '[-l SELECTOR] [--status Ready|NotReady|Unknown]',
  summary: 'list nodes',
  flags: { selector: { type: 'string', short: 'l' }, status: { type: 'string' } },
  async run(ctx, args) {
    expectPositionals(args, [], 'nodes ls');
    const client = await apiClient(ctx);
    const items = await client.listAll<Node>('/api/v1/nodes', { labelSelector: str(args, 'selector'), status: str(args, 'status') });
    ctx.io.stdout(formatOutput(ctx.globals.format, { items }, () => (items.length === 0 ? 'No nodes\n' : nodesTable(items, ctx.now()))));
  },
};

const describe: Command = {
  path: ['nodes', 'describe'],
  usage: 'NAME',
  summary: 'show a node and the replicas placed on it',
  flags: {},
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'nodes describe');
    const client = await apiClient(ctx);
    const node = await client.get<Node>(`/api/v1/nodes/${seg(name!)}`);
    const assignments = await client.listAll<Assignment>('/api/v1/assignments', { node: name });
    ctx.io.stdout(
      formatOutput(ctx.globals.format, { ...node, assignments }, () => {
        const now = ctx.now();
        const head = renderFields([
          ['Name', node.name],
          ['Status', nodeStatus(node)],
          ['Labels', Object.entries(node.labels).map(([k, v]) => `${k}=${v}`)],
          ['Addresses', node.addresses.join(', ') || '<none>'],
          ['Agent version', node.agentVersion ?? '<unknown>'],
          ['Last heartbeat', node.lastHeartbeatAt ? `${node.lastHeartbeatAt} (${formatAge(node.lastHeartbeatAt, now)} ago)` : '<never>'],
          ['Capacity', resources(node.capacity)],
          ['Allocatable', resources(node.allocatable)],
          ['Usage', resources(node.usage)],
          ['Conditions', node.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`)],
          ['Revision', String(node.revision)],
          ['Created', node.createdAt],
        ]);
        const table =
          assignments.length === 0
            ? 'Assignments: <none>\n'
            : `Assignments:\n${renderTable(
                ['WORKLOAD', 'REPLICA', 'REVISION', 'DESIRED', 'STATE', 'RESTARTS', 'ID'],
                assignments.map((a) => [a.workloadName, String(a.replicaIndex), String(a.workloadRevision), a.desiredState, a.status?.state ?? '<pending>', String(a.status?.restartCount ?? 0), a.id]),
              )}`;
        return `${head}${table}`;
      }),
    );
  },
};

const drain: Command = {
  path: ['nodes', 'drain'],
  usage: 'NAME',
  summary: 'cordon a node and move its replicas elsewhere',
  flags: {},
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'nodes drain');
    const client = await apiClient(ctx);
    const node = (await client.request<Node>('POST', `/api/v1/nodes/${seg(name!)}/drain`, { body: {} })).body;
    ctx.io.stdout(formatOutput(ctx.globals.format, node, () => `node/${node.name} draining\n`));
  },
};

const revoke: Command = {
  path: ['nodes', 'revoke'],
  usage: 'NAME',
  summary: "revoke a node's certificate (admin): its agent is cut off, the node stays listed; it must join again",
  flags: {},
  async run(ctx, args) {
    const [name] = expectPositionals(args, ['NAME'], 'nodes revoke');
    const client = await apiClient(ctx);
    const node = (await client.request<Node>('POST', `/api/v1/nodes/${seg(name!)}/revoke`)).body;
    ctx.io.stdout(formatOutput(ctx.globals.format, node, () => `node/${node.name} revoked at ${node.revokedAt ?? '<unknown>'}\n`));
  },
};

/** `k=v` sets, `k-` removes; anything else is a usage error. */
export function applyLabelChanges(labels: Readonly<Record<string, string>>, changes: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const c of changes) {
    const eq = c.indexOf('=');
    if (eq > 0) out[c.slice(0, eq)] = c.slice(eq + 1);
    else if (c.endsWith('-') && c.length > 1 && !c.includes('=')) delete out[c.slice(0, -1)];
    else throw new UsageError(`nodes label: ${JSON.stringify(c)} is neither KEY=VALUE nor KEY-`);
  }
  return out;
}

const label: Command = {
  path: ['nodes', 'label'],
  usage: 'NAME KEY=VALUE... KEY-...',
  summary: "set (k=v) or remove (k-) a node's labels",
  flags: {},
  async run(ctx, args) {
    const [name, ...changes] = args.positionals;
    if (name === undefined) throw new UsageError('nodes label: missing NAME');
    if (changes.length === 0) throw new UsageError('nodes label: missing KEY=VALUE or KEY- changes');
    const client = await apiClient(ctx);
    const read = await client.get<Node>(`/api/v1/nodes/${seg(name)}`);
    const labels = applyLabelChanges(read.labels, changes);
    const node = (await client.request<Node>('PATCH', `/api/v1/nodes/${seg(name)}`, { body: { labels }, ifMatch: read.revision })).body;
    ctx.io.stdout(formatOutput(ctx.globals.format, node, () => `node/${node.name} labeled: ${formatLabels(node.labels)}\n`));
  },
};

export const nodeCommands: Command[] = [ls, describe, drain, label, revoke];
