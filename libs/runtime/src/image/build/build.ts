/**
 * buildImage: a Dockerfile build. Each filesystem-changing step (RUN, COPY, ADD, WORKDIR)
 * runs on a new active snapshot over the previous layer, mounted on the host; its upper
 * directory becomes a gzip layer (deletions as whiteouts) and is committed as the next
 * snapshot under its chain id. Steps are cached by parent key + resolved instruction (+ source
 * hash), so an unchanged rebuild reuses every layer and yields the same image digest.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { BerthError, causeText } from '../../errors.js';
import { noopLogger, type Logger } from '../../logger.js';
import type { ImageConfig, ImageHistory } from '../config.js';
import type { ImageStore } from '../image-store.js';
import { createLease } from '../leases.js';
import type { Descriptor, ImageManifest } from '../manifest.js';
import { MediaType } from '../media-types.js';
import type { RegistryClient, RegistryClientOptions } from '../registry/client.js';
import { isCommitted, loadBase, nextChainId, unpackBase } from './base.js';
import { BuildCache, cacheKey, type CacheEntry } from './cache.js';
import { hashSources, resolveSources } from './context.js';
import { copyIntoRoot, ensureDir } from './copy.js';
import { parseDockerfile } from './dockerfile.js';
import { BuildError } from './errors.js';
import { storeLayer } from './layer.js';
import { mountAll, upperDirOf } from './mounts.js';
import { writeImage } from './output.js';
import type { BuildRunner, BuildSnapshotter } from './ports.js';
import { BuildState, type ResolvedStep } from './resolve.js';
import { runStep } from './run.js';
import { readUserDb, resolveUser } from '../runtime-spec-user.js';

export interface BuildStepEvent {
  /** 1-based step number over all instructions. */
  readonly index: number;
  readonly total: number;
  readonly line: number;
  /** The instruction as resolved (history text). */
  readonly instruction: string;
  /** `running` before a step executes; `cached` (Docker's CACHED) or `done` after. */
  readonly status: 'running' | 'cached' | 'done';
  /** Digest of the layer the step produced, if any. */
  readonly layer?: string;
}

export interface BuildImageOptions {
  readonly contextDir: string;
  /** Dockerfile path, relative to contextDir unless absolute (default `Dockerfile`). */
  readonly dockerfile?: string;
  /** Image reference to record the result under, e.g. `127.0.0.1:5000/app:1`. */
  readonly tag: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly store: ImageStore;
  readonly snapshotter: BuildSnapshotter;
  readonly runtime: BuildRunner;
  /** For pulling a missing base image. */
  readonly registry?: RegistryClient | RegistryClientOptions;
  readonly onStep?: (event: BuildStepEvent) => void;
  /** RUN output, line by line. */
  readonly onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Ignore the cache (results are still stored for the next build). */
  readonly noCache?: boolean;
  /** linux.cgroupsPath prefix for RUN containers (relative to the runtime's own cgroup). */
  readonly cgroupParent?: string;
  /** Scratch directory for bundles and ADD extraction (default os.tmpdir()). */
  readonly workDir?: string;
  readonly logger?: Logger;
}

export interface BuildImageResult {
  /** Record name, e.g. `127.0.0.1:5000/app:1`. */
  readonly name: string;
  /** Manifest digest. */
  readonly digest: string;
  readonly configDigest: string;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  readonly steps: ReadonlyArray<{ readonly instruction: string; readonly cached: boolean; readonly layer?: string }>;
}

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

interface Chain {
  key: string;
  parent: string | undefined;
  layers: Descriptor[];
  diffIds: string[];
  history: ImageHistory[];
}

export async function buildImage(opts: BuildImageOptions): Promise<BuildImageResult> {
  const log = (opts.logger ?? noopLogger).child({ build: opts.tag });
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  for (const k of buildArgs.keys()) {
    if (!ARG_NAME.test(k)) throw new BuildError('build_arg_invalid', `failed to use build argument ${JSON.stringify(k)}: not a valid name`);
  }
  const contextDir = resolve(opts.contextDir);
  const dfPath = isAbsolute(opts.dockerfile ?? '') ? (opts.dockerfile as string) : join(contextDir, opts.dockerfile ?? 'Dockerfile');
  let text: string;
  try {
    text = await readFile(dfPath, 'utf8');
  } catch (err) {
    throw new BuildError('context_invalid', `failed to read Dockerfile ${dfPath}: ${causeText(err)}`, { cause: err, path: dfPath });
  }
  const df = parseDockerfile(text);
  const { store, snapshotter } = opts;
  await store.init();
  const state = new BuildState(buildArgs, df.escape);
  const cache = new BuildCache(store.root);
  const lease = await createLease(store.root);
  const work = await mkdtemp(join(opts.workDir ?? tmpdir(), 'berth-build-'));
  const total = df.instructions.length;
  const steps: Array<{ instruction: string; cached: boolean; layer?: string }> = [];
  let platform: { os: string; architecture: string; variant?: string } = hostPlatform();
  const chain: Chain = { key: '', parent: undefined, layers: [], diffIds: [], history: [] };
  const emit = (index: number, r: ResolvedStep, status: BuildStepEvent['status'], layer?: string) =>
    opts.onStep?.({ index, total, line: r.line, instruction: r.createdBy, status, ...(layer ? { layer } : {}) });
  try {
    for (const [i, inst] of df.instructions.entries()) {
      const r = state.resolve(inst);
      const index = i + 1;
      if (r.step.kind === 'from') {
        emit(index, r, 'running');
        if (r.step.image === 'scratch') {
          chain.key = cacheKey('', ['FROM scratch', `${platform.os}/${platform.architecture}`]);
        } else {
          const base = await loadBase(r.step.image, { store, ...(opts.registry ? { registry: opts.registry } : {}), logger: log });
          chain.parent = await unpackBase(base, store, snapshotter, log);
          chain.layers = base.layers;
          chain.diffIds = [...base.config.rootfs.diff_ids];
          chain.history = [...(base.config.history ?? [])];
          platform = { os: base.config.os, architecture: base.config.architecture, ...(base.config.variant ? { variant: base.config.variant } : {}) };
          state.setBase(base.config.config);
          chain.key = cacheKey('', ['FROM', base.manifestDigest]);
        }
        steps.push({ instruction: r.createdBy, cached: false });
        emit(index, r, 'done');
        continue;
      }
      if (chain.key === '') continue; // ARG before FROM: only feeds FROM
      const step = r.step;
      const sources = step.kind === 'copy' ? await resolveSources(contextDir, step.sources, r.line, r.keyword) : [];
      const key = cacheKey(chain.key, [
        r.createdBy,
        JSON.stringify([...state.vars()]),
        JSON.stringify(state.settings),
        step.kind === 'copy' ? await hashSources(sources) : '',
      ]);
      let entry = opts.noCache ? undefined : await cache.get(key);
      if (entry?.layer && !((await store.content.has(entry.layer.digest)) && (await isCommitted(snapshotter, nextChainId(chain.parent, entry.layer.diffId))))) {
        entry = undefined;
      }
      const cached = entry !== undefined;
      if (!entry) {
        emit(index, r, 'running');
        entry = { created: new Date().toISOString() } as CacheEntry;
        if (step.kind !== 'meta') {
          const made = await fsStep(opts, work, chain.parent, `step ${index}/${total} (line ${r.line}) ${r.createdBy}`, state, step, sources, lease, log);
          if (made) entry = { ...entry, layer: made };
        }
        await cache.put(key, entry);
      }
      if (entry.layer) {
        await lease.add(entry.layer.digest);
        chain.parent = nextChainId(chain.parent, entry.layer.diffId);
        chain.layers.push({ mediaType: MediaType.ociLayerGzip, digest: entry.layer.digest, size: entry.layer.size });
        chain.diffIds.push(entry.layer.diffId);
      }
      chain.history.push({ created: entry.created, created_by: r.createdBy, ...(entry.layer ? {} : { empty_layer: true }) });
      chain.key = key;
      steps.push({ instruction: r.createdBy, cached, ...(entry.layer ? { layer: entry.layer.digest } : {}) });
      emit(index, r, cached ? 'cached' : 'done', entry.layer?.digest);
    }
    const out = await writeImage({ store, lease, tag: opts.tag, platform, settings: state.settings, layers: chain.layers, diffIds: chain.diffIds, history: chain.history });
    log.info('image built', { digest: out.digest, layers: chain.layers.length });
    return { name: out.record.name, digest: out.digest, configDigest: out.configDigest, manifest: out.manifest, config: out.config, steps };
  } finally {
    await lease.release().catch((e: unknown) => log.warn('failed to release lease', { err: causeText(e) }));
    await rm(work, { recursive: true, force: true }).catch((e: unknown) => log.warn('failed to remove build dir', { path: work, err: causeText(e) }));
  }
}

/**
 * One filesystem step on a fresh active snapshot over `parent`: mount, run or copy, unmount,
 * diff. Returns the stored layer, or undefined when the step changed nothing. The active
 * snapshot is removed on failure and on "nothing changed"; committed otherwise.
 */
async function fsStep(
  opts: BuildImageOptions,
  work: string,
  parent: string | undefined,
  what: string,
  state: BuildState,
  step: Exclude<ResolvedStep['step'], { kind: 'from' } | { kind: 'meta' }>,
  sources: Awaited<ReturnType<typeof resolveSources>>,
  lease: Awaited<ReturnType<typeof createLease>>,
  log: Logger,
): Promise<CacheEntry['layer']> {
  const id = `build-${randomBytes(6).toString('hex')}`;
  const snapshotter = opts.snapshotter;
  const mounts = await snapshotter.prepare(id, parent, { labels: { 'berth.io/build-step': what.slice(0, 200) } });
  let committed = false;
  try {
    const bundle = join(work, id);
    const rootfs = join(bundle, 'rootfs');
    await mkdir(rootfs, { recursive: true });
    const umount = mountAll(mounts, rootfs);
    try {
      const s = state.settings;
      if (step.kind === 'run') {
        const user = await readUserDb(rootfs).then((db) => resolveUser(s.user || '0', db)).catch((err: unknown) => {
          throw new BuildError('run_failed', `failed to run ${what}: ${causeText(err)}`, { cause: err });
        });
        await runStep({
          runner: opts.runtime, id, bundle, args: step.args, env: step.env, cwd: s.workdir, user, what,
          ...(opts.cgroupParent !== undefined ? { cgroupParent: opts.cgroupParent } : {}),
          ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
        });
      } else if (step.kind === 'workdir') {
        await ensureDir(rootfs, step.path);
      } else {
        let owner;
        if (step.chown) {
          const chown = step.chown;
          const { uid, gid } = await readUserDb(rootfs)
            .then((db) => {
              const u = resolveUser(chown.user, db);
              return { uid: u.uid, gid: chown.group === undefined ? u.uid : resolveUser(`${u.uid}:${chown.group}`, db).gid };
            })
            .catch((err: unknown) => {
              throw new BuildError('context_invalid', `failed to copy ${what}: --chown: ${causeText(err)}`, { cause: err });
            });
          owner = { uid, gid };
        }
        await copyIntoRoot(rootfs, sources, step.dest, {
          extract: step.add, tmpDir: work, ...(owner ? { owner } : {}), ...(step.chmod !== undefined ? { chmod: step.chmod } : {}),
        });
      }
    } finally {
      umount();
    }
    const layer = await storeLayer(upperDirOf(mounts), opts.store.content, lease);
    if (layer.empty) return undefined;
    const chainId = nextChainId(parent, layer.diffId);
    try {
      await snapshotter.commit(chainId, id);
      committed = true;
    } catch (err) {
      if (!(err instanceof BerthError && err.category === 'already_exists')) throw err;
    }
    return { diffId: layer.diffId, digest: layer.digest, size: layer.size };
  } finally {
    if (!committed) {
      await snapshotter.remove(id).catch((e: unknown) => log.warn('failed to remove build snapshot', { key: id, err: causeText(e) }));
    }
  }
}
