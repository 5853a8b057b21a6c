/**
 * Containers from images on one node: image store + overlay snapshotter + Runtime over a shared
 * data root and state root, so the agent and berth-node can work side by side. Layout:
 *   <dataRoot>/images/      ImageStore (blobs, ingest, images.json, leases)
 *   <dataRoot>/snapshots/   OverlaySnapshotter (layer chains, container RW layers)
 *   <dataRoot>/bundles/<id>/{config.json, rootfs/, container.json, container.log}
 *   <stateRoot>/<id>/       Runtime state (as berth-runtime --root)
 * The container's active snapshot `container-<id>` is mounted on `<bundle>/rootfs` on the host
 * before the runtime starts, and unmounted and removed with the container.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, causeText, errnoCode, isNotFound } from '../errors.js';
import { ImageStore, readUserDb, specFromImage, type ImageDetails, type ImageSpecOverrides } from '../image/index.js';
import { noopLogger, type Logger } from '../logger.js';
import { readExitRecord, type ExitRecord, type StdioConfig } from '../process/index.js';
import { OverlaySnapshotter, unpackImageLayers, type Snapshotter } from '../snapshot/index.js';
import type { ContainerStatus, Spec } from '../spec/types.js';
import { createSyscalls } from '../sys/index.js';
import { checkContainerId } from './errors.js';
import { mountAll, unmountAll, type MountSyscalls } from './image-run-mount.js';
import { pruneSnapshots, type SnapshotPruneResult } from './image-run-prune.js';
import { Runtime } from './runtime.js';

export interface ImageContainersOptions {
  /** Shared data root (default of the apps: /var/lib/berth). */
  dataRoot: string;
  /** Runtime state root (default of the apps: /run/berth/containers). */
  stateRoot: string;
  logger?: Logger;
  shimPath?: string;
  /** mount/umount2 (default: the koffi binding). */
  syscalls?: MountSyscalls;
  /** Defaults built from the roots. */
  runtime?: Runtime;
  store?: ImageStore;
  snapshotter?: Snapshotter;
}

/** What berth-node keeps about a container besides the runtime state (`container.json`). */
export interface ImageContainer {
  id: string;
  /** The image reference as recorded (`registry/repo:tag`). */
  image: string;
  /** Manifest digest of the image at create time. */
  imageDigest: string;
  snapshotKey: string;
  /** Chain id of the image's top layer (null for an image without layers). */
  chainId: string | null;
  bundle: string;
  rootfs: string;
  command: string[];
  created: string;
  /** Remove when it exits (`run --rm`); detached ones are reaped by the next list(). */
  autoRemove: boolean;
}

export interface ImageContainerStatus extends ImageContainer {
  status: ContainerStatus;
  pid: number;
  exit?: ExitRecord;
}

export interface CreateFromImageOptions {
  id: string;
  /** Reference or digest of an image in the store (pull it first). */
  image: string;
  overrides?: ImageSpecOverrides;
  autoRemove?: boolean;
}

export interface RunFromImageOptions extends CreateFromImageOptions {
  /** Return once started; stdout/stderr go to `<bundle>/container.log` (CRI format). */
  detach?: boolean;
  /** Foreground stdio (default 'inherit'). */
  stdio?: StdioConfig;
}

const RECORD = 'container.json';

export class ImageContainers {
  readonly dataRoot: string;
  readonly images: ImageStore;
  readonly snapshots: Snapshotter;
  readonly runtime: Runtime;
  private readonly log: Logger;
  private readonly sysOpt: MountSyscalls | undefined;

  constructor(opts: ImageContainersOptions) {
    this.dataRoot = opts.dataRoot;
    this.log = opts.logger ?? noopLogger;
    this.images = opts.store ?? new ImageStore(join(opts.dataRoot, 'images'), { logger: this.log });
    this.snapshots = opts.snapshotter ?? new OverlaySnapshotter({ root: join(opts.dataRoot, 'snapshots') });
    this.runtime = opts.runtime ?? new Runtime({ root: opts.stateRoot, logger: this.log, ...(opts.shimPath ? { shimPath: opts.shimPath } : {}) });
    this.sysOpt = opts.syscalls;
  }

  private get sys(): MountSyscalls {
    return this.sysOpt ?? createSyscalls();
  }

  bundleDir(id: string): string {
    checkContainerId(id);
    return join(this.dataRoot, 'bundles', id);
  }

  /** Unpacks the image's layers into committed snapshots (skipping present ones). */
  async unpack(details: ImageDetails): Promise<string | null> {
    const layers = details.manifest.layers;
    if (layers.length === 0) return null;
    const r = await unpackImageLayers({
      layers: layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType })),
      diffIds: details.config.rootfs.diff_ids,
      openLayer: (d) => this.images.content.get(d),
      snapshotter: this.snapshots,
      logger: this.log,
    });
    return r.chainId;
  }

  /**
   * Makes everything up to the runtime: bundle directory (the id's reservation), unpacked
   * layers, the active snapshot mounted on `<bundle>/rootfs`, config.json from the image
   * config and overrides, container.json. A failure undoes every step.
   */
  async prepare(opts: CreateFromImageOptions): Promise<{ container: ImageContainer; spec: Spec }> {
    const { id } = opts;
    const bundle = this.bundleDir(id);
    await mkdir(join(this.dataRoot, 'bundles'), { recursive: true, mode: 0o711 });
    try {
      await mkdir(bundle, { mode: 0o711 });
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        throw new BerthError('container_exists', 'already_exists', `failed to create container ${id}: the name is already in use`, { containerId: id, path: bundle });
      }
      throw err;
    }
    const rootfs = join(bundle, 'rootfs');
    const snapshotKey = `container-${id}`;
    let prepared = false;
    try {
      const details = await this.images.inspect(opts.image);
      const chainId = await this.unpack(details);
      const mounts = await this.snapshots.prepare(snapshotKey, chainId ?? undefined, { labels: { 'io.berth.container': id } });
      prepared = true;
      await mkdir(rootfs, { mode: 0o755 });
      mountAll(this.sys, mounts, rootfs);
      const spec = specFromImage(details.config, opts.overrides ?? {}, { userDb: await readUserDb(rootfs), defaultHostname: id.slice(0, 12) });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      const container: ImageContainer = {
        id,
        image: details.record.name,
        imageDigest: details.manifestDigest,
        snapshotKey,
        chainId,
        bundle,
        rootfs,
        command: spec.process?.args ?? [],
        created: new Date().toISOString(),
        autoRemove: opts.autoRemove ?? false,
      };
      await writeFile(join(bundle, RECORD), JSON.stringify(container, null, 2));
      return { container, spec };
    } catch (err) {
      await this.removeStorage(id, bundle, prepared ? snapshotKey : undefined).catch((cleanupErr: unknown) =>
        this.log.error('cleanup after failed create failed', { containerId: id, err: causeText(cleanupErr) }),
      );
      throw err;
    }
  }

  /**
   * prepare + Runtime.run. In the foreground resolves with the exit record once the container
   * exited; it is removed then when `autoRemove`, else kept (stopped) for `list`/`remove`.
   */
  async run(opts: RunFromImageOptions): Promise<{ container: ImageContainer; exit?: ExitRecord }> {
    const { container, spec } = await this.prepare(opts);
    const stdio: StdioConfig = opts.detach ? { stdout: join(container.bundle, 'container.log'), stderr: join(container.bundle, 'container.log') } : (opts.stdio ?? 'inherit');
    let exit: ExitRecord | undefined;
    try {
      exit = await this.runtime.run({ id: opts.id, bundle: container.bundle, spec, stdio, detach: opts.detach ?? false, keep: true });
    } catch (err) {
      await this.remove(opts.id, { force: true }).catch((cleanupErr: unknown) =>
        this.log.error('cleanup after failed run failed', { containerId: opts.id, err: causeText(cleanupErr) }),
      );
      throw err;
    }
    if (exit && container.autoRemove) await this.remove(opts.id, { force: true });
    return { container, ...(exit ? { exit } : {}) };
  }

  async get(id: string): Promise<ImageContainer> {
    const file = join(this.bundleDir(id), RECORD);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new BerthError('container_not_found', 'not_found', `failed to find container ${id}: no such container`, { containerId: id, path: file });
      throw err;
    }
    return JSON.parse(text) as ImageContainer;
  }

  /** The container with its live status; exited ones carry their exit record. */
  async status(id: string): Promise<ImageContainerStatus> {
    const c = await this.get(id);
    try {
      const st = await this.runtime.state(id);
      const exit = st.status === 'stopped' ? await readExitRecord(join(this.runtime.ctx.store.dir(id), 'exit')) : undefined;
      return { ...c, status: st.status, pid: st.pid, ...(exit ? { exit } : {}) };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return { ...c, status: 'stopped', pid: 0 };
    }
  }

  /** Every container of this data root; stopped `autoRemove` ones are removed on the way. */
  async list(): Promise<ImageContainerStatus[]> {
    const names = await readdir(join(this.dataRoot, 'bundles')).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return [] as string[];
      throw err;
    });
    const out: ImageContainerStatus[] = [];
    for (const id of names.sort()) {
      let s: ImageContainerStatus;
      try {
        s = await this.status(id);
      } catch (err) {
        this.log.debug('skipping unreadable container', { containerId: id, err: causeText(err) });
        continue;
      }
      if (s.autoRemove && s.status === 'stopped') {
        await this.remove(id, { force: true }).catch((err: unknown) => this.log.warn('failed to reap container', { containerId: id, err: causeText(err) }));
        continue;
      }
      out.push(s);
    }
    return out;
  }

  /**
   * Removes a container: the runtime's (killing it first with `force`; otherwise it must be
   * stopped), then its rootfs mount, RW snapshot and bundle.
   */
  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const c = await this.get(id);
    let state;
    try {
      state = await this.runtime.state(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (state) {
      if (state.status !== 'stopped' && !opts.force) {
        throw new BerthError('container_running', 'failed_precondition', `failed to remove container ${id}: it is ${state.status}; stop it first or force the removal`, { containerId: id });
      }
      await this.runtime.delete(id, { force: true });
    }
    await this.removeStorage(id, c.bundle, c.snapshotKey);
  }

  private async removeStorage(id: string, bundle: string, snapshotKey: string | undefined): Promise<void> {
    await unmountAll(this.sys, join(bundle, 'rootfs'));
    if (snapshotKey !== undefined) {
      await this.snapshots.remove(snapshotKey).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
    await rm(bundle, { recursive: true, force: true });
    this.log.debug('container storage removed', { containerId: id });
  }

  /** Layer snapshots no image needs any more (see image-run-prune.ts). */
  pruneSnapshots(opts: { dryRun?: boolean } = {}): Promise<SnapshotPruneResult> {
    return pruneSnapshots(this.images, this.snapshots, { logger: this.log, ...opts });
  }
}
