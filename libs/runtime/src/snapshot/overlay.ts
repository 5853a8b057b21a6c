/**
 * Overlay snapshotter (containerd's model): `<root>/snapshots/<id>/{fs,work}` per snapshot plus
 * `<root>/metadata.json`. Committed snapshots are overlay lower layers, active ones an upper
 * dir + work dir, views read-only. Mounts are returned as data:
 * - no parent: a bind mount of `fs` (rw for active, ro for a view);
 * - a view of one layer: a read-only bind mount of that layer;
 * - otherwise one overlay mount `workdir=,upperdir=,lowerdir=top:...:bottom` (views: lowerdir only).
 * Long chains: when the option string would exceed one page (4095 bytes) or 500 lower layers,
 * the bottom of the chain is replaced by a flattened tree (see flatten.ts), built once per
 * committed snapshot at `<id>/flat` and reused; split points are preferably at chain depths that
 * are multiples of `flattenStep`, so a growing chain (an image being unpacked, a build) makes a
 * new flat tree only every `flattenStep` layers, from the previous one. So every chain is one
 * plain overlay mount, with no stacked overlays (which would lose whiteouts of upper groups).
 */
import { lstat, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { BerthError, errnoCode } from '../errors.js';
import { nativeLayerSyscalls, type LayerSyscalls } from '../image/unpack/index.js';
import { flattenLayers } from './flatten.js';
import { MetadataStore, type MetadataDb, type SnapshotRecord } from './metadata.js';
import type { Mount, SnapshotInfo, SnapshotKind, SnapshotOptions, Snapshotter, SnapshotUsage } from './types.js';

export interface OverlaySnapshotterOptions {
  /** Absolute directory owned by this snapshotter; must not contain ',' or ':'. */
  root: string;
  /** xattr calls used when flattening long chains; defaults to the koffi binding. */
  syscalls?: LayerSyscalls;
  /** Longest overlay option string (mount data is one page incl. the NUL). Default 4095. */
  maxMountData?: number;
  /** Most lower layers per overlay mount (the kernel's OVL_MAX_STACK). Default 500. */
  maxLowerLayers?: number;
  /**
   * Flat trees are preferably made for layers whose chain depth is a multiple of this (default
   * 32), so consecutive prepares of a growing chain reuse them; each builds on the one below.
   */
  flattenStep?: number;
}

function err(code: string, category: BerthError['category'], msg: string): BerthError {
  return new BerthError(code, category, msg);
}

function checkKey(key: string, what: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024 || key.includes('\0')) {
    throw err('snapshot_invalid_key', 'invalid_argument', `failed to use snapshot ${what} ${JSON.stringify(key)}: must be 1-1024 characters without NUL`);
  }
}

export class OverlaySnapshotter implements Snapshotter {
  private readonly root: string;
  private readonly db: MetadataStore;
  private readonly sys: LayerSyscalls | undefined;
  private readonly maxData: number;
  private readonly maxLower: number;
  private readonly step: number;

  constructor(opts: OverlaySnapshotterOptions) {
    if (!isAbsolute(opts.root) || /[,:]/.test(opts.root)) {
      throw err('snapshot_invalid_root', 'invalid_argument', `failed to create overlay snapshotter: root ${JSON.stringify(opts.root)} must be absolute and free of ',' and ':'`);
    }
    this.root = opts.root;
    this.db = new MetadataStore(opts.root);
    this.sys = opts.syscalls;
    this.maxData = opts.maxMountData ?? 4095;
    this.maxLower = opts.maxLowerLayers ?? 500;
    this.step = opts.flattenStep ?? 32;
  }

  private dir(id: number): string {
    return join(this.root, 'snapshots', String(id));
  }

  prepare(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]> {
    return this.create('active', key, parent, opts);
  }

  view(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]> {
    return this.create('view', key, parent, opts);
  }

  private async create(kind: SnapshotKind, key: string, parent: string | undefined, opts: SnapshotOptions = {}): Promise<Mount[]> {
    checkKey(key, 'key');
    if (parent !== undefined) checkKey(parent, 'parent');
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    const db = await this.db.update(async (db) => {
      if (db.snapshots[key]) throw err('snapshot_exists', 'already_exists', `failed to ${kind === 'view' ? 'view' : 'prepare'} snapshot ${JSON.stringify(key)}: it already exists`);
      if (parent !== undefined) {
        const p = db.snapshots[parent];
        if (!p) throw err('snapshot_not_found', 'not_found', `failed to prepare snapshot ${JSON.stringify(key)}: parent ${JSON.stringify(parent)} does not exist`);
        if (p.kind !== 'committed') throw err('snapshot_parent_not_committed', 'failed_precondition', `failed to prepare snapshot ${JSON.stringify(key)}: parent ${JSON.stringify(parent)} is ${p.kind}, not committed`);
      }
      const now = new Date().toISOString();
      const rec: SnapshotRecord = { id: db.nextId++, kind, labels: { ...(opts.labels ?? {}) }, created: now, updated: now };
      if (parent !== undefined) rec.parent = parent;
      const dir = this.dir(rec.id);
      await rm(dir, { recursive: true, force: true }); // leftovers of a crashed remove
      await mkdir(join(dir, 'fs'), { recursive: true, mode: 0o755 });
      if (kind === 'active') await mkdir(join(dir, 'work'), { mode: 0o700 });
      db.snapshots[key] = rec;
      return structuredClone(db);
    });
    return this.mountsOf(db, key);
  }

  async mounts(key: string): Promise<Mount[]> {
    return this.mountsOf(await this.db.read(), key);
  }

  /** Records of `name`'s parent chain, immediate parent first. */
  private chain(db: MetadataDb, parent: string | undefined): { name: string; rec: SnapshotRecord }[] {
    const out: { name: string; rec: SnapshotRecord }[] = [];
    for (let p = parent; p !== undefined; ) {
      const rec = db.snapshots[p];
      if (!rec) throw err('snapshot_not_found', 'not_found', `failed to resolve snapshot chain: parent ${JSON.stringify(p)} is missing`);
      out.push({ name: p, rec });
      p = rec.parent;
    }
    return out;
  }

  private async mountsOf(db: MetadataDb, key: string): Promise<Mount[]> {
    const rec = db.snapshots[key];
    if (!rec) throw err('snapshot_not_found', 'not_found', `failed to get mounts of snapshot ${JSON.stringify(key)}: it does not exist`);
    if (rec.kind === 'committed') throw err('snapshot_committed', 'failed_precondition', `failed to get mounts of snapshot ${JSON.stringify(key)}: it is committed; prepare or view a child`);
    const dir = this.dir(rec.id);
    const chain = this.chain(db, rec.parent);
    const lowers = chain.map((c) => join(this.dir(c.rec.id), 'fs'));
    if (lowers.length === 0) return [{ type: 'bind', source: join(dir, 'fs'), options: [rec.kind === 'view' ? 'ro' : 'rw', 'rbind'] }];
    if (rec.kind === 'view' && lowers.length === 1) return [{ type: 'bind', source: lowers[0]!, options: ['ro', 'rbind'] }];
    const head = rec.kind === 'active' ? [`workdir=${join(dir, 'work')}`, `upperdir=${join(dir, 'fs')}`] : [];
    const fixed = head.reduce((n, o) => n + o.length + 1, 'lowerdir='.length);
    const used = lowers.reduce((n, l) => n + l.length + 1, fixed - 1);
    if (used <= this.maxData && lowers.length <= this.maxLower) return [{ type: 'overlay', source: 'overlay', options: [...head, `lowerdir=${lowers.join(':')}`] }];
    // Keep the top t layers as they are and replace chain[t..] by the flat tree of chain[t];
    // the largest t that fits keeps the most sharing with other chains.
    const flatOf = (i: number): string => join(this.dir(chain[i]!.rec.id), 'flat');
    let t = -1;
    let aligned = -1;
    for (let i = 0, prefix = fixed; i < chain.length && i + 1 <= this.maxLower; prefix += lowers[i]!.length + 1, i++) {
      if (prefix + flatOf(i).length > this.maxData) continue;
      t = i;
      if ((chain.length - i) % this.step === 0) aligned = i;
    }
    if (aligned >= 0) t = aligned;
    if (t < 0) throw err('snapshot_path_too_long', 'failed_precondition', `failed to get mounts of snapshot ${JSON.stringify(key)}: snapshot root ${this.root} is too long for overlay mount data`);
    const flat = await this.flat(chain.slice(t).map((c) => c.rec));
    const lower = [...lowers.slice(0, t), flat];
    if (rec.kind === 'view' && lower.length === 1) return [{ type: 'bind', source: flat, options: ['ro', 'rbind'] }];
    return [{ type: 'overlay', source: 'overlay', options: [...head, `lowerdir=${lower.join(':')}`] }];
  }

  /**
   * `<id>/flat` of chain[0], built from the chain (top first) if it does not exist yet, on top
   * of the nearest flat tree further down the chain when there is one.
   */
  private async flat(chain: SnapshotRecord[]): Promise<string> {
    const flatOf = (r: SnapshotRecord): string => join(this.dir(r.id), 'flat');
    const has = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);
    const flat = flatOf(chain[0]!);
    if (await has(flat)) return flat;
    const sources: string[] = [];
    for (const r of chain) {
      if (r !== chain[0] && (await has(flatOf(r)))) {
        sources.push(flatOf(r));
        break;
      }
      sources.push(join(this.dir(r.id), 'fs'));
    }
    const tmp = await mkdtemp(join(this.dir(chain[0]!.id), 'flat.tmp-'));
    const build = join(tmp, 'fs');
    try {
      await flattenLayers(this.sys ?? nativeLayerSyscalls(), sources.reverse(), build);
      await rename(build, flat).catch((e: unknown) => {
        if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e; // another process won
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return flat;
  }

  async commit(name: string, key: string, opts: SnapshotOptions = {}): Promise<void> {
    checkKey(name, 'name');
    checkKey(key, 'key');
    await this.db.update((db) => {
      const rec = db.snapshots[key];
      if (!rec) throw err('snapshot_not_found', 'not_found', `failed to commit snapshot ${JSON.stringify(key)}: it does not exist`);
      if (rec.kind !== 'active') throw err('snapshot_not_active', 'failed_precondition', `failed to commit snapshot ${JSON.stringify(key)}: it is ${rec.kind}, not active`);
      if (db.snapshots[name]) throw err('snapshot_exists', 'already_exists', `failed to commit snapshot ${JSON.stringify(key)} as ${JSON.stringify(name)}: ${JSON.stringify(name)} already exists`);
      delete db.snapshots[key];
      db.snapshots[name] = { ...rec, kind: 'committed', labels: { ...rec.labels, ...(opts.labels ?? {}) }, updated: new Date().toISOString() };
    });
  }

  async remove(key: string): Promise<void> {
    checkKey(key, 'key');
    const trash = join(this.root, 'snapshots', `rm-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    await this.db.update(async (db) => {
      const rec = db.snapshots[key];
      if (!rec) throw err('snapshot_not_found', 'not_found', `failed to remove snapshot ${JSON.stringify(key)}: it does not exist`);
      const children = Object.entries(db.snapshots).filter(([, r]) => r.parent === key).map(([n]) => n);
      if (children.length > 0) {
        throw err('snapshot_has_children', 'failed_precondition', `failed to remove snapshot ${JSON.stringify(key)}: it is the parent of ${children.sort().map((c) => JSON.stringify(c)).join(', ')}`);
      }
      delete db.snapshots[key];
      await rename(this.dir(rec.id), trash).catch((e: unknown) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      });
    });
    await rm(trash, { recursive: true, force: true });
  }

  async stat(key: string): Promise<SnapshotInfo> {
    const rec = (await this.db.read()).snapshots[key];
    if (!rec) throw err('snapshot_not_found', 'not_found', `failed to stat snapshot ${JSON.stringify(key)}: it does not exist`);
    return info(key, rec);
  }

  async list(): Promise<SnapshotInfo[]> {
    const db = await this.db.read();
    return Object.keys(db.snapshots).sort().map((k) => info(k, db.snapshots[k]!));
  }

  async walk(fn: (info: SnapshotInfo) => void | Promise<void>, filter?: (info: SnapshotInfo) => boolean): Promise<void> {
    for (const i of await this.list()) if (!filter || filter(i)) await fn(i);
  }

  async usage(key: string): Promise<SnapshotUsage> {
    const rec = (await this.db.read()).snapshots[key];
    if (!rec) throw err('snapshot_not_found', 'not_found', `failed to get usage of snapshot ${JSON.stringify(key)}: it does not exist`);
    const seen = new Set<number>();
    const u = { size: 0, inodes: 0 };
    const walk = async (p: string): Promise<void> => {
      const st = await lstat(p);
      if (!seen.has(st.ino)) {
        seen.add(st.ino);
        u.inodes++;
        u.size += st.blocks * 512;
      }
      if (st.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n));
    };
    await walk(join(this.dir(rec.id), 'fs'));
    return u;
  }
}

function info(name: string, rec: SnapshotRecord): SnapshotInfo {
  const i: SnapshotInfo = { name, kind: rec.kind, labels: { ...rec.labels }, created: rec.created, updated: rec.updated };
  if (rec.parent !== undefined) i.parent = rec.parent;
  return i;
}
