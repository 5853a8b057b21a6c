/**
 * Snapshotter contract, after containerd's (core/snapshots): a snapshot is a directory tree
 * identified by a key. Three kinds:
 * - `committed`: immutable, the result of {@link Snapshotter.commit}; the parent of others.
 *   Image layers are committed under their chain id.
 * - `active`: writable, made by {@link Snapshotter.prepare}; a container's RW layer or a layer
 *   being unpacked. Becomes committed through commit().
 * - `view`: read-only, made by {@link Snapshotter.view}; cannot be committed.
 *
 * Keys of all kinds share one namespace. A snapshot with children cannot be removed.
 * Snapshotters never mount: they return {@link Mount}s as data and the rootfs layer (or a test)
 * performs them. Implementations are safe for concurrent use by several processes.
 */

/**
 * One mount(2) call as data. `type: 'bind'` means a bind mount (`source` is a host path);
 * `options` are fstab-style (`ro`, `rbind`, `workdir=...`, `upperdir=...`, `lowerdir=...`).
 * `target`, when set, is a path relative to where the caller mounts the snapshot (containerd's
 * Mount.Target); absent means the snapshot root itself. Mounts are performed in list order.
 * OverlaySnapshotter always returns exactly one mount without `target`, whatever the number of
 * layers (long chains are flattened, see overlay.ts), and never more than one page of options.
 */
export interface Mount {
  type: 'overlay' | 'bind';
  source: string;
  target?: string;
  options: string[];
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  /** Key (active/view) or name (committed). */
  name: string;
  kind: SnapshotKind;
  /** Name of the committed parent, if any. */
  parent?: string;
  labels: Record<string, string>;
  /** ISO 8601 timestamps. */
  created: string;
  updated: string;
}

export interface SnapshotUsage {
  /** Bytes used on disk by this snapshot's own tree (not its parents), hard links counted once. */
  size: number;
  /** Inodes in this snapshot's own tree. */
  inodes: number;
}

export interface SnapshotOptions {
  labels?: Record<string, string>;
}

export interface Snapshotter {
  /**
   * Creates an active (writable) snapshot `key` on top of committed `parent` and returns the
   * mounts that show it. Fails with 'already_exists' if `key` is taken, 'not_found' if the
   * parent does not exist, 'failed_precondition' if the parent is not committed.
   */
  prepare(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]>;
  /** Like prepare, but read-only; a view cannot be committed. */
  view(key: string, parent?: string, opts?: SnapshotOptions): Promise<Mount[]>;
  /** Mounts of an existing active or view snapshot (the same as prepare/view returned). */
  mounts(key: string): Promise<Mount[]>;
  /**
   * Turns active snapshot `key` into committed snapshot `name`; `key` ceases to exist.
   * 'already_exists' if `name` is taken (the active snapshot is kept then).
   */
  commit(name: string, key: string, opts?: SnapshotOptions): Promise<void>;
  /** Removes a snapshot; 'failed_precondition' if it has children, 'not_found' if absent. */
  remove(key: string): Promise<void>;
  /** Info of one snapshot; 'not_found' if absent. */
  stat(key: string): Promise<SnapshotInfo>;
  /** Every snapshot, sorted by name. */
  list(): Promise<SnapshotInfo[]>;
  /** Calls `fn` for every snapshot (sorted by name) that matches `filter`. */
  walk(fn: (info: SnapshotInfo) => void | Promise<void>, filter?: (info: SnapshotInfo) => boolean): Promise<void>;
  /** Disk usage of the snapshot's own tree, by walking it. */
  usage(key: string): Promise<SnapshotUsage>;
}
