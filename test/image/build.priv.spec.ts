/**
 * buildImage end to end as root: a busybox base pushed by skopeo to docker-registry, a
 * Dockerfile with ARG/ENV/WORKDIR/COPY/ADD/RUN/USER/CMD/LABEL/EXPOSE, RUN in real Berth
 * containers on overlay snapshots. Checks layers (a deletion is a whiteout), the cache, the
 * digest on rebuild, and cross-checks the pushed image with skopeo and umoci.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BuildError,
  buildImage,
  decompress,
  ImageStore,
  OverlaySnapshotter,
  pushImage,
  readTar,
  Runtime,
  type BuildImageOptions,
  type BuildStepEvent,
} from '@berth/runtime';
import { containerTestSkip } from '../fixtures/busybox.js';
import { testCgroupParent, type TestCgroupParent } from '../fixtures/cgroups.js';
import { buildBusyboxImage, skopeoInspect, skopeoPull, skopeoPush, type BusyboxImage } from '../fixtures/images.js';
import { registryTestSkip, startRegistry, type TestRegistry } from '../fixtures/registry.js';

const run = promisify(execFile);
const skip = containerTestSkip() || registryTestSkip();
const fast = { retries: 2, backoffMs: 20, timeoutMs: 20_000 };

let reg: TestRegistry;
let base: BusyboxImage;
let root: string;
let ctxDir: string;
let store: ImageStore;
let snapshotter: OverlaySnapshotter;
let runtime: Runtime;
let cg: TestCgroupParent;

const DOCKERFILE = (baseRef: string) => `# build test
FROM ${baseRef}
ARG GREETING=hello
ENV APP_HOME=/app \\
    PATH=/bin
WORKDIR $APP_HOME
COPY hello.txt tree ./
ADD archive.tar.gz /opt/
RUN echo "$GREETING from $(busybox id -u)" > run.txt && busybox rm /etc/hostname && busybox rm -r /data/b && busybox mkdir -p /tmp/made
USER 1000:1000
CMD ["/bin/sh", "-c", "busybox cat /app/run.txt"]
LABEL org.example.test="build priv"
EXPOSE 8080
`;

function options(extra: Partial<BuildImageOptions> = {}): BuildImageOptions {
  return { contextDir: ctxDir, tag: `${reg.host}/built/app:1`, store, snapshotter, runtime, registry: fast, cgroupParent: cg.prefix, workDir: root, ...extra };
}

before(async () => {
  if (skip) return;
  reg = await startRegistry();
  base = await buildBusyboxImage({ layers: 2 });
  await skopeoPush(base.ociRef, `${reg.host}/test/busybox:base`);
  root = await mkdtemp(join(tmpdir(), 'berth-build-test-'));
  store = await new ImageStore(join(root, 'images')).init();
  snapshotter = new OverlaySnapshotter({ root: join(root, 'snapshots') });
  runtime = new Runtime({ root: join(root, 'state') });
  cg = testCgroupParent();
  ctxDir = join(root, 'context');
  await mkdir(join(ctxDir, 'tree/sub'), { recursive: true });
  await mkdir(join(ctxDir, 'arch/pkg'), { recursive: true });
  await writeFile(join(ctxDir, 'hello.txt'), 'hello\n');
  await writeFile(join(ctxDir, 'tree/a'), 'a\n');
  await writeFile(join(ctxDir, 'tree/sub/b'), 'b\n');
  await writeFile(join(ctxDir, 'arch/pkg/inside'), 'from the archive\n');
  await run('tar', ['-czf', join(ctxDir, 'archive.tar.gz'), '-C', join(ctxDir, 'arch'), 'pkg']);
  await writeFile(join(ctxDir, 'Dockerfile'), DOCKERFILE(`${reg.host}/test/busybox:base`));
});

after(async () => {
  if (skip) return;
  for (const c of await runtime.list().catch(() => [])) await runtime.delete(c.id, { force: true }).catch(() => undefined);
  cg?.cleanup();
  await reg?.stop();
  await base?.cleanup();
  if (root) {
    const mi = await readFile('/proc/self/mountinfo', 'utf8');
    for (const line of mi.split('\n').reverse()) {
      const at = line.split(' ')[4];
      if (at?.startsWith(root)) await run('umount', ['-l', at]).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  }
});

async function layerEntries(digest: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of readTar(decompress(await store.content.get(digest)))) {
    names.push(e.header.name);
    for await (const _ of e.body) { /* drain */ }
  }
  return names;
}

/** path -> "type mode uid:gid content-hash|link" for every entry under dir. */
async function treeOf(dir: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of (await readdir(join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    const p = join(dir, r);
    const st = await lstat(p);
    const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      out.set(r, `dir ${head}`);
      for (const [k, v] of await treeOf(dir, r)) out.set(k, v);
    } else if (st.isSymbolicLink()) out.set(r, `link ${head} ${await readlink(p)}`);
    else if (st.isFile()) out.set(r, `file ${head} ${createHash('sha256').update(await readFile(p)).digest('hex')}`);
    else out.set(r, `other ${head} ${st.rdev}`);
  }
  return out;
}

test('builds from a pulled busybox base: layers, whiteouts, config; rebuild is all CACHED with the same digest; skopeo and umoci agree', { skip, timeout: 180_000 }, async () => {
  const events: BuildStepEvent[] = [];
  const output: string[] = [];
  const first = await buildImage(options({ onStep: (e) => events.push(e), onOutput: (l) => output.push(l) }));
  assert.equal(first.name, `${reg.host}/built/app:1`);
  assert.equal(first.steps.filter((s) => s.cached).length, 0);
  // base (2) + WORKDIR + COPY + ADD + RUN
  assert.equal(first.manifest.layers.length, 6);
  assert.equal(first.config.rootfs.diff_ids.length, 6);
  const c = first.config.config;
  assert.deepEqual(c.Env, ['PATH=/bin', 'APP_HOME=/app']);
  assert.equal(c.WorkingDir, '/app');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'busybox cat /app/run.txt']);
  assert.deepEqual(c.Labels, { 'org.example.test': 'build priv' });
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {} });
  const hist = first.config.history ?? [];
  assert.equal(hist.filter((h) => !h.empty_layer).length, 6);
  assert.ok(hist.some((h) => h.created_by === 'ENV APP_HOME=/app PATH=/bin' && h.empty_layer));

  const [workdirLayer, copyLayer, addLayer, runLayer] = first.manifest.layers.slice(2).map((l) => l.digest) as [string, string, string, string];
  assert.deepEqual(await layerEntries(workdirLayer), ['app/']);
  assert.deepEqual(await layerEntries(copyLayer), ['app/', 'app/a', 'app/hello.txt', 'app/sub/', 'app/sub/b']);
  assert.deepEqual(await layerEntries(addLayer), ['opt/', 'opt/pkg/', 'opt/pkg/inside']);
  const runEntries = await layerEntries(runLayer);
  assert.ok(runEntries.includes('etc/.wh.hostname'), `RUN layer has a whiteout for /etc/hostname: ${runEntries.join(' ')}`);
  assert.ok(runEntries.includes('data/.wh.b'), `RUN layer has a whiteout for /data/b: ${runEntries.join(' ')}`);
  assert.ok(runEntries.includes('app/run.txt') && runEntries.includes('tmp/made/'));
  assert.ok(events.some((e) => e.status === 'running' && e.instruction.startsWith('RUN ')));

  const second = await buildImage(options({ onStep: (e) => events.push(e) }));
  assert.equal(second.digest, first.digest);
  assert.equal(second.configDigest, first.configDigest);
  assert.deepEqual(second.steps.map((s) => s.cached), [false, ...first.steps.slice(1).map(() => true)]);
  assert.equal(events.filter((e) => e.status === 'cached').length, first.steps.length - 1);

  // Push, then read it back with the independent tools.
  const target = `${reg.host}/built/app:1`;
  const pushed = await pushImage(first.name, target, { store, registry: fast });
  assert.equal(pushed.digest, first.digest);
  const info = await skopeoInspect(target);
  assert.equal(info.Digest, first.digest);
  assert.deepEqual(info.Layers, first.manifest.layers.map((l) => l.digest));
  const layout = join(root, 'oci');
  await skopeoPull(target, layout, 'app');
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  assert.equal(index.manifests[0]?.digest, first.digest);
  const umociDir = join(root, 'umoci');
  await run('umoci', ['unpack', '--image', `${layout}:app`, umociDir]);
  const view = join(root, 'view');
  await mkdir(view);
  const chain = await lastChain(first.config.rootfs.diff_ids);
  const umount = await mountView(await snapshotter.view('crosscheck-view', chain), view);
  try {
    const mine = await treeOf(view);
    const theirs = await treeOf(join(umociDir, 'rootfs'));
    assert.deepEqual([...mine.keys()], [...theirs.keys()]);
    for (const [k, v] of mine) if (k !== '' ) assert.equal(v.replace(/^(\w+) \d+/, '$1'), theirs.get(k)?.replace(/^(\w+) \d+/, '$1'), k);
    assert.equal(await readFile(join(view, 'app/run.txt'), 'utf8'), 'hello from 0\n');
  } finally {
    await umount();
    await snapshotter.remove('crosscheck-view');
  }
});

/** Performs a view snapshot's single mount (bind or overlay) with mount(8). */
async function mountView(mounts: ReadonlyArray<{ type: string; source: string; options: string[] }>, at: string): Promise<() => Promise<void>> {
  const m = mounts[0]!;
  if (m.type === 'bind') await run('mount', ['--bind', '-o', 'ro', m.source, at]);
  else await run('mount', ['-t', m.type, m.source, '-o', m.options.join(','), at]);
  return async () => void (await run('umount', [at]));
}

async function lastChain(diffIds: readonly string[]): Promise<string> {
  let c: string | undefined;
  for (const d of diffIds) c = c === undefined ? d : `sha256:${createHash('sha256').update(`${c} ${d}`).digest('hex')}`;
  return c as string;
}

test('a --build-arg or a changed COPY source reruns from that step on; earlier steps stay CACHED', { skip, timeout: 120_000 }, async () => {
  const a = await buildImage(options());
  const withArg = await buildImage(options({ buildArgs: { GREETING: 'howdy' } }));
  assert.notEqual(withArg.digest, a.digest);
  const idx = withArg.steps.findIndex((s) => s.instruction.startsWith('ARG'));
  assert.deepEqual(withArg.steps.slice(1, idx).map((s) => s.cached), withArg.steps.slice(1, idx).map(() => true));
  assert.equal(withArg.steps[idx]?.cached, false);
  await writeFile(join(ctxDir, 'hello.txt'), 'changed\n');
  try {
    const b = await buildImage(options());
    const copyAt = b.steps.findIndex((s) => s.instruction.startsWith('COPY'));
    assert.ok(b.steps.slice(1, copyAt).every((s) => s.cached));
    assert.ok(b.steps.slice(copyAt).every((s) => !s.cached));
    assert.notEqual(b.digest, a.digest);
  } finally {
    await writeFile(join(ctxDir, 'hello.txt'), 'hello\n');
  }
});

test('a failing RUN names the step and exit code and leaves no container, mount or active snapshot', { skip, timeout: 60_000 }, async () => {
  const dir = join(root, 'failctx');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), `FROM ${reg.host}/test/busybox:base\nRUN echo about to fail; exit 7\n`);
  await assert.rejects(buildImage(options({ contextDir: dir })), (err: unknown) => {
    assert.ok(err instanceof BuildError);
    assert.equal(err.code, 'run_failed');
    assert.match(err.message, /step 2\/2 \(line 2\) RUN \/bin\/sh -c echo about to fail; exit 7: exit code 7/);
    assert.match(err.message, /about to fail/);
    return true;
  });
  assert.deepEqual(await runtime.list(), []);
  const active = (await snapshotter.list()).filter((s) => s.kind !== 'committed');
  assert.deepEqual(active, []);
  const mi = await readFile('/proc/self/mountinfo', 'utf8');
  assert.ok(!mi.includes(join(root, 'berth-build-')), 'no build mount left');
  assert.deepEqual((await readdir(root)).filter((n) => n.startsWith('berth-build-')), []);
});

test('FROM scratch with COPY of a whole rootfs, then RUN in it', { skip, timeout: 60_000 }, async () => {
  const dir = join(root, 'scratchctx');
  await mkdir(join(dir, 'rootfs/bin'), { recursive: true });
  await mkdir(join(dir, 'rootfs/etc'), { recursive: true });
  await run('cp', ['/bin/busybox', join(dir, 'rootfs/bin/busybox')]);
  await run('ln', ['-s', 'busybox', join(dir, 'rootfs/bin/sh')]);
  await writeFile(join(dir, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:4242:4343::/:/bin/sh\n');
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nUSER app\nRUN busybox id -u > /tmp-uid || busybox id -u\nUSER root\nRUN busybox id -u > /uid && busybox id -g >> /uid\n');
  const out: string[] = [];
  const r = await buildImage(options({ contextDir: dir, tag: 'localhost/scratch-test:1', onOutput: (l) => out.push(l) }));
  assert.equal(r.manifest.layers.length, 2, 'COPY + last RUN (the first RUN only printed)');
  // stdout and stderr are separate pipes: their lines may arrive in either order
  assert.deepEqual([...out].sort(), ["/bin/sh: can't create /tmp-uid: Permission denied", '4242'].sort(), 'USER app ran as uid 4242 from /etc/passwd');
  const entries = await layerEntries(r.manifest.layers[1]!.digest);
  assert.deepEqual(entries, ['uid']);

  // COPY --chown looks names up in the image's /etc/passwd; a user alone means gid = uid (Docker).
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nCOPY --chown=app rootfs/etc/passwd /by-name\nCOPY --chown=7:8 rootfs/etc/passwd /by-number\n');
  const owned = await buildImage(options({ contextDir: dir, tag: 'localhost/scratch-test:2' }));
  const owners: string[] = [];
  for (const l of owned.manifest.layers.slice(1)) {
    for await (const e of readTar(decompress(await store.content.get(l.digest)))) {
      owners.push(`${e.header.name} ${e.header.uid}:${e.header.gid}`);
      for await (const _ of e.body) { /* drain */ }
    }
  }
  assert.deepEqual(owners, ['by-name 4242:4242', 'by-number 7:8']);
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nCOPY --chown=app:staff rootfs/etc/passwd /x\n');
  await assert.rejects(buildImage(options({ contextDir: dir, tag: 'localhost/scratch-test:3' })), /--chown: failed to resolve user "4242:staff": the image has no \/etc\/group/);
});
