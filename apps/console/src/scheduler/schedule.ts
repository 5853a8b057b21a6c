/**
 * The scheduler: a pure function from desired workloads, nodes and current assignments to the
 * decisions that move the fleet toward the desired state. No I/O and no clock, so every rule is
 * tested with tables (schedule.spec.ts). Rules:
 * - placement: ready, schedulable nodes whose labels match the node selector and whose
 *   allocatable minus already reserved requests fits the replica's requests; among those the
 *   node with the fewest replicas of the workload (spread), then the most free memory, then name;
 * - replicas on nodes that stop being ready move elsewhere unless the workload forbids it;
 * - replica indices >= replicas are removed (scale-down), missing ones placed;
 * - rolling update (the same for rollback, which is a new desired revision pointing at an old
 *   spec): per replica index, surge a new replica while maxSurge allows and remove the old one
 *   once the new one is ready; otherwise replace in place while maxUnavailable allows.
 */
import type { Decision, IntOrPercent, PlaceDecision, Resources, SchedulerAssignment, SchedulerNode, SchedulerWorkload } from './types.js';

const KEYS = [
  ['cpuMillis', 'cpu'],
  ['memoryBytes', 'memory'],
  ['pids', 'pids'],
] as const;

/**
 * The nodes and what is reserved on them during one pass. Per-node numbers live in typed
 * arrays indexed by node position: `pick` runs once per replica over every eligible node
 * (1,000 replicas x 2,000 nodes in one pass at fleet scale), so its loop is plain arithmetic.
 */
class Fleet {
  private readonly index: Map<string, number>;
  /** cpuMillis, memoryBytes, pids reserved per node: [3 * i + k]. */
  private readonly used: Float64Array;
  private readonly alloc: Float64Array;
  /** Replicas per workload per node, counting placements of this pass. */
  private readonly spread = new Map<string, Int32Array>();
  private readonly eligible = new Map<string, { nodes: number[]; reasons: Map<string, number> }>();
  /** Position of each node's name in code-unit order (the last tie-break), as an integer. */
  private readonly nameRank: Int32Array;

  constructor(readonly nodes: SchedulerNode[], assignments: SchedulerAssignment[]) {
    this.index = new Map(nodes.map((n, i) => [n.id, i]));
    this.nameRank = new Int32Array(nodes.length);
    [...nodes.keys()].sort((a, b) => (nodes[a]!.name < nodes[b]!.name ? -1 : nodes[a]!.name > nodes[b]!.name ? 1 : 0)).forEach((i, rank) => (this.nameRank[i] = rank));
    this.used = new Float64Array(nodes.length * 3);
    this.alloc = new Float64Array(nodes.length * 3);
    nodes.forEach((n, i) => KEYS.forEach(([k], j) => (this.alloc[3 * i + j] = n.allocatable[k] ?? 0)));
    for (const a of assignments) this.reserve(a.nodeId, a.workloadId, a.requests, 1);
  }

  reserve(nodeId: string, workloadId: string, r: Resources, sign: 1 | -1): void {
    const i = this.index.get(nodeId);
    if (i === undefined) return; // a replica on a node that no longer exists reserves nothing
    KEYS.forEach(([k], j) => (this.used[3 * i + j]! += sign * (r[k] ?? 0)));
    let per = this.spread.get(workloadId);
    if (!per) {
      per = new Int32Array(this.nodes.length);
      this.spread.set(workloadId, per);
    }
    per[i]! += sign;
  }

  ready(nodeId: string): boolean {
    const i = this.index.get(nodeId);
    return i !== undefined && this.nodes[i]!.ready;
  }

  /**
   * Nodes that could ever take a replica of `w` in this pass (ready, schedulable, selector
   * match), with the counts of the others by reason; computed once per workload.
   */
  private eligibleFor(w: SchedulerWorkload): { nodes: number[]; reasons: Map<string, number> } {
    let e = this.eligible.get(w.id);
    if (e) return e;
    const reasons = new Map<string, number>();
    const bump = (r: string): void => void reasons.set(r, (reasons.get(r) ?? 0) + 1);
    const selector = Object.entries(w.nodeSelector ?? {});
    const nodes: number[] = [];
    this.nodes.forEach((node, i) => {
      if (!node.ready) bump('node not ready');
      else if (!node.schedulable) bump('node unschedulable');
      else if (!selector.every(([k, v]) => node.labels[k] === v)) bump('node selector mismatch');
      else nodes.push(i);
    });
    e = { nodes, reasons };
    this.eligible.set(w.id, e);
    return e;
  }

  /** Best node for one replica of `w`, or the Kubernetes-style reason there is none. */
  pick(w: SchedulerWorkload): { nodeId: string } | { reason: string } {
    const { nodes, reasons: fixed } = this.eligibleFor(w);
    const per = this.spread.get(w.id);
    const want = KEYS.map(([k]) => w.requests[k] ?? 0);
    const [wc, wm, wp] = want as [number, number, number];
    const { used, alloc, nameRank } = this;
    const shortBy = [0, 0, 0];
    let best = -1;
    let bestCount = 0;
    let bestFree = 0;
    for (const i of nodes) {
      const o = 3 * i;
      const noCpu = wc > 0 && used[o]! + wc > alloc[o]!;
      const noMem = wm > 0 && used[o + 1]! + wm > alloc[o + 1]!;
      const noPids = wp > 0 && used[o + 2]! + wp > alloc[o + 2]!;
      if (noCpu || noMem || noPids) {
        if (noCpu) shortBy[0]!++;
        if (noMem) shortBy[1]!++;
        if (noPids) shortBy[2]!++;
        continue;
      }
      const count = per ? per[i]! : 0;
      const free = alloc[o + 1]! - used[o + 1]!;
      if (best < 0 || count < bestCount || (count === bestCount && (free > bestFree || (free === bestFree && nameRank[i]! < nameRank[best]!)))) {
        best = i;
        bestCount = count;
        bestFree = free;
      }
    }
    if (best >= 0) return { nodeId: this.nodes[best]!.id };
    if (this.nodes.length === 0) return { reason: '0/0 nodes available: no nodes in the fleet' };
    const reasons = new Map(fixed);
    KEYS.forEach(([, label], j) => {
      if (shortBy[j]! > 0) reasons.set(`insufficient ${label}`, shortBy[j]!);
    });
    const parts = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`);
    return { reason: `0/${this.nodes.length} nodes available: ${parts.join(', ')}` };
  }
}


/** Resolves a count or percentage of `replicas`; undefined when malformed. */
export function resolveIntOrPercent(v: IntOrPercent, replicas: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (!m) return undefined;
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function strategyOf(w: SchedulerWorkload): { maxSurge: number; maxUnavailable: number } | string {
  const surge = resolveIntOrPercent(w.strategy?.maxSurge ?? 1, w.replicas, true);
  const unavail = resolveIntOrPercent(w.strategy?.maxUnavailable ?? 0, w.replicas, false);
  if (surge === undefined) return `failed to roll out workload ${JSON.stringify(w.name)}: maxSurge ${JSON.stringify(w.strategy?.maxSurge)} is not a non-negative integer or percentage`;
  if (unavail === undefined) return `failed to roll out workload ${JSON.stringify(w.name)}: maxUnavailable ${JSON.stringify(w.strategy?.maxUnavailable)} is not a non-negative integer or percentage`;
  if (surge === 0 && unavail === 0) return `failed to roll out workload ${JSON.stringify(w.name)}: maxSurge and maxUnavailable resolve to 0 for ${w.replicas} replicas, so no replica could ever be replaced`;
  return { maxSurge: surge, maxUnavailable: unavail };
}

function byIndexThenId(a: SchedulerAssignment, b: SchedulerAssignment): number {
  return a.replicaIndex - b.replicaIndex || a.id.localeCompare(b.id);
}

/** Decisions for the whole fleet; workloads are handled in name order. */
export function schedule(workloads: SchedulerWorkload[], nodes: SchedulerNode[], assignments: SchedulerAssignment[]): Decision[] {
  const fleet = new Fleet([...nodes].sort((a, b) => a.name.localeCompare(b.name)), assignments);
  const known = new Set(workloads.map((w) => w.id));
  const out: Decision[] = [];
  for (const a of [...assignments].sort(byIndexThenId)) {
    if (known.has(a.workloadId)) continue;
    out.push({ type: 'remove', assignmentId: a.id, workloadId: a.workloadId, replicaIndex: a.replicaIndex, reason: 'workload-deleted' });
    fleet.reserve(a.nodeId, a.workloadId, a.requests, -1);
  }
  const sorted = [...workloads].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const w of sorted) out.push(...scheduleWorkload(w, fleet, assignments.filter((a) => a.workloadId === w.id).sort(byIndexThenId)));
  return out;
}

function scheduleWorkload(w: SchedulerWorkload, fleet: Fleet, mine: SchedulerAssignment[]): Decision[] {
  const strategy = strategyOf(w);
  if (typeof strategy === 'string') return [{ type: 'invalid', workloadId: w.id, reason: strategy }];
  const removes: Decision[] = [];
  const places: Decision[] = [];
  const remove = (a: SchedulerAssignment, reason: 'scale-down' | 'node-lost' | 'replaced'): void => {
    removes.push({ type: 'remove', assignmentId: a.id, workloadId: w.id, replicaIndex: a.replicaIndex, reason });
    fleet.reserve(a.nodeId, w.id, a.requests, -1);
  };
  /** Places replica `index`; when `replacing` is given, only if the new one fits (then removes it). */
  const place = (index: number, replacing?: SchedulerAssignment): boolean => {
    if (replacing) fleet.reserve(replacing.nodeId, w.id, replacing.requests, -1);
    const got = fleet.pick(w);
    if (replacing) fleet.reserve(replacing.nodeId, w.id, replacing.requests, 1);
    if ('reason' in got) {
      places.push({ type: 'unplaceable', workloadId: w.id, replicaIndex: index, reason: got.reason });
      return false;
    }
    if (replacing) remove(replacing, 'replaced');
    fleet.reserve(got.nodeId, w.id, w.requests, 1);
    places.push({ type: 'place', workloadId: w.id, replicaIndex: index, revision: w.revision, nodeId: got.nodeId } satisfies PlaceDecision);
    return true;
  };

  const byIndex = new Map<number, SchedulerAssignment[]>();
  for (const a of mine) {
    if (!fleet.ready(a.nodeId) && w.rescheduleOnNodeFailure !== false) remove(a, 'node-lost');
    else if (a.replicaIndex >= w.replicas) remove(a, 'scale-down');
    else byIndex.set(a.replicaIndex, [...(byIndex.get(a.replicaIndex) ?? []), a]);
  }
  const available = (a: SchedulerAssignment): boolean => a.ready && fleet.ready(a.nodeId);

  // Finish surges: a ready replica at the desired revision supersedes the others of its index.
  for (const [index, list] of byIndex) {
    const current = list.filter((a) => a.revision === w.revision);
    const keep = current.find(available) ?? current[0];
    if (!keep) continue;
    const drop = list.filter((a) => a !== keep && (a.revision === w.revision || available(keep)));
    for (const a of drop) remove(a, 'replaced');
    byIndex.set(index, list.filter((a) => !drop.includes(a)));
  }

  let availableCount = 0;
  let total = 0;
  for (let i = 0; i < w.replicas; i++) {
    const list = byIndex.get(i) ?? [];
    if (list.some(available)) availableCount++;
    total += Math.max(list.length, 1);
  }
  let unavailBudget = strategy.maxUnavailable - (w.replicas - availableCount);
  let surgeBudget = w.replicas + strategy.maxSurge - total;

  for (let i = 0; i < w.replicas; i++) {
    const list = byIndex.get(i) ?? [];
    if (list.length === 0) { place(i); continue; }
    if (list.some((a) => a.revision === w.revision)) continue; // up to date, or its surge is in progress
    const old = list[0] as SchedulerAssignment;
    if (!fleet.ready(old.nodeId)) continue; // pinned to a lost node (rescheduleOnNodeFailure: false)
    if (!available(old)) place(i, old); // nothing to lose: replace in place
    else if (surgeBudget > 0) { if (place(i)) surgeBudget--; }
    else if (unavailBudget > 0) { if (place(i, old)) unavailBudget--; }
  }
  return [...removes, ...places];
}
